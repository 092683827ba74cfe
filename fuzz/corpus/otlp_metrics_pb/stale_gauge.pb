
9


service.name
s 

l1
gBy*
Í…=þœ—@