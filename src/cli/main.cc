#include <cstdio>
int main() { std::puts("opsight"); return 0; }
