#include "aiops/investigate/ranker.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <string>

#include "aiops/investigate/explain.h"

namespace opsight::aiops {
namespace {

struct Candidate {
  std::string name;
  std::vector<const ComponentFinding*> counted;  // by weighted strength, strongest first
  double score = 0;
  int64_t onset_ms = 0;
};

double weighted(const ComponentFinding& f) {
  return kind_weight(f.kind) * std::clamp(f.strength, 0.0, 1.0);
}

bool comparable(std::string_view a, std::string_view b) {
  return a == b || a == "dependency" || b == "dependency";
}

// Every component reachable from `from` along the edges, without `from` itself.
std::set<std::string> reachable(const std::string& from,
                                const std::map<std::string, std::vector<std::string>>& callees) {
  std::set<std::string> seen;
  std::deque<std::string> todo = {from};
  while (!todo.empty()) {
    auto it = callees.find(todo.front());
    todo.pop_front();
    if (it == callees.end()) continue;
    for (const std::string& c : it->second) {
      if (c != from && seen.insert(c).second) todo.push_back(c);
    }
  }
  return seen;
}

}  // namespace

double kind_weight(std::string_view kind) {
  if (kind == "errors" || kind == "latency" || kind == "dependency") return 1.0;
  if (kind == "saturation") return 0.6;
  if (kind == "logs" || kind == "change") return 0.5;
  return 0;
}

std::vector<Hypothesis> rank(std::vector<ComponentFinding> findings,
                             const std::set<CallEdge>& edges, const InvestigationRequest& req,
                             size_t max) {
  std::vector<ComponentFinding> symptoms;
  std::map<std::string, std::vector<const ComponentFinding*>> by_component;
  int64_t incident_onset = 0;
  for (const ComponentFinding& f : findings) {
    if (f.kind == "symptom") {
      symptoms.push_back(f);
      continue;
    }
    if (weighted(f) <= 0) continue;
    by_component[f.component].push_back(&f);
    if (f.kind != "change" && f.onset_ms > 0) {
      incident_onset = incident_onset == 0 ? f.onset_ms : std::min(incident_onset, f.onset_ms);
    }
  }

  std::vector<Candidate> cands;
  for (auto& [name, own] : by_component) {
    std::stable_sort(own.begin(), own.end(),
                     [](const ComponentFinding* a, const ComponentFinding* b) {
                       return weighted(*a) > weighted(*b);
                     });
    const bool has_other = std::any_of(
        own.begin(), own.end(), [](const ComponentFinding* f) { return f->kind != "change"; });
    Candidate c;
    c.name = name;
    double keep = 1;
    for (const ComponentFinding* f : own) {
      if (f->kind == "change" && !has_other) {
        const bool just_before = incident_onset > 0 && f->onset_ms <= incident_onset &&
                                 f->onset_ms >= incident_onset - kChangeLeadMs;
        if (!just_before) continue;
      }
      keep *= 1 - weighted(*f);
      c.counted.push_back(f);
    }
    if (c.counted.empty()) continue;
    c.score = 1 - keep;
    c.onset_ms = c.counted.front()->onset_ms;
    if (c.onset_ms <= 0) {
      for (const ComponentFinding* f : c.counted) {
        if (f->onset_ms > 0 && (c.onset_ms <= 0 || f->onset_ms < c.onset_ms)) {
          c.onset_ms = f->onset_ms;
        }
      }
    }
    cands.push_back(std::move(c));
  }

  // Onset ordering: a component whose callee deviated as early, the same way, is a victim.
  std::map<std::string, std::vector<std::string>> callees;
  for (const CallEdge& e : edges) callees[e.caller].push_back(e.callee);
  std::map<std::string, const Candidate*> by_name;
  for (const Candidate& c : cands) by_name[c.name] = &c;
  std::vector<double> factor(cands.size(), 1.0);
  for (size_t i = 0; i < cands.size(); i++) {
    const Candidate& c = cands[i];
    const ComponentFinding& lead = *c.counted.front();
    if (c.onset_ms <= 0 || lead.kind == "change") continue;
    bool victim = false;
    for (const std::string& d : reachable(c.name, callees)) {
      auto it = by_name.find(d);
      if (it == by_name.end()) continue;
      for (const ComponentFinding* g : it->second->counted) {
        if (g->onset_ms > 0 && g->onset_ms <= c.onset_ms && comparable(g->kind, lead.kind) &&
            weighted(*g) >= 0.5 * weighted(lead)) {
          victim = true;
          break;
        }
      }
      if (victim) break;
    }
    if (victim) factor[i] *= kVictimFactor;
  }
  if (!req.service.empty()) {
    std::set<std::string> hinted = reachable(req.service, callees);
    hinted.insert(req.service);
    for (size_t i = 0; i < cands.size(); i++) {
      if (hinted.contains(cands[i].name)) factor[i] *= kHintFactor;
    }
  }
  for (size_t i = 0; i < cands.size(); i++) {
    cands[i].score = std::clamp(cands[i].score * factor[i], 0.0, 1.0);
  }
  std::erase_if(cands, [](const Candidate& c) { return c.score < kMinScore; });
  std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.name < b.name;
  });
  if (cands.size() > max) cands.resize(max);

  std::vector<Hypothesis> out;
  for (const Candidate& c : cands) {
    const ComponentFinding& lead = *c.counted.front();
    Hypothesis h;
    h.rank = static_cast<int>(out.size()) + 1;
    h.service = c.name;
    h.component = c.name;
    for (const ComponentFinding* f : c.counted) {
      if (!f->operation.empty()) {
        h.component = c.name + " " + f->operation;
        break;
      }
    }
    h.component_type = lead.component_type;
    h.kind = lead.kind;
    h.score = c.score;
    h.onset_ms = c.onset_ms;
    h.explanation = explain(c.name, c.counted, symptoms, edges);
    for (const ComponentFinding* f : c.counted) {
      for (const Evidence& e : f->evidence) {
        if (h.evidence.size() >= kMaxEvidence) break;
        h.evidence.push_back(e);
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace opsight::aiops
