#!/usr/bin/env python3
"""The NAB scorer (bench/nab/nab_score.py) on small hand-computed cases.

Every expected value below is worked out by hand from the rules in the scorer's docstring:
sigma(x) = 2 / (1 + e^(5x)) - 1 = -tanh(2.5 x), so sigma(-1) = tanh(2.5).
"""

import importlib.util
import math
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCORER = os.path.join(HERE, "..", "..", "bench", "nab", "nab_score.py")
spec = importlib.util.spec_from_file_location("nab_score", SCORER)
nab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nab)

STANDARD = {"tp": 1.0, "fn": 1.0, "fp": 0.11}
LOW_FP = {"tp": 1.0, "fn": 1.0, "fp": 0.22}
LOW_FN = {"tp": 1.0, "fn": 2.0, "fp": 0.11}
PROFILES = {"standard": STANDARD, "reward_low_FP_rate": LOW_FP, "reward_low_FN_rate": LOW_FN}

# 100 rows: probation = floor(0.15 * 100) = 15 rows; one window, rows 40..59 (width 20).
N = 100
WINDOW = [(40, 59)]


def case(detections, name="f.csv", windows=WINDOW, n=N):
    scores = [0.0] * n
    for row, s in detections.items():
        scores[row] = s
    return nab.FileCase(name, scores, windows)


def score(cases, profile=STANDARD):
    threshold, raw = nab.best_threshold(cases, profile)
    return nab.normalised(raw, cases, profile), raw, threshold


class NabScorerTest(unittest.TestCase):
    def test_sigma_and_probation(self):
        self.assertAlmostEqual(nab.sigma(-1.0), math.tanh(2.5))
        self.assertAlmostEqual(nab.sigma(0.0), 0.0)
        self.assertEqual(nab.sigma(3.5), -1.0)
        self.assertEqual(nab.probation_rows(100), 15)
        self.assertEqual(nab.probation_rows(4032), 604)
        self.assertEqual(nab.probation_rows(22695), 750)

    def test_perfect_detector_scores_100(self):
        for profile in PROFILES.values():
            s, raw, _ = score([case({40: 1.0})], profile)
            self.assertAlmostEqual(raw, 1.0)
            self.assertAlmostEqual(s, 100.0)

    def test_null_detector_scores_0(self):
        for profile in PROFILES.values():
            s, raw, threshold = score([case({})], profile)
            self.assertIsNone(threshold)  # every row at 0 detecting everywhere is worse
            self.assertAlmostEqual(raw, -profile["fn"])
            self.assertAlmostEqual(s, 0.0)

    def test_early_hit_beats_late_hit(self):
        # Row 59 (last row): pos = -(59 - 59 + 1) / 20 = -0.05 -> tanh(0.125) / tanh(2.5).
        late = math.tanh(0.125) / math.tanh(2.5)
        s, raw, _ = score([case({59: 1.0})])
        self.assertAlmostEqual(raw, late)
        self.assertAlmostEqual(s, 100.0 * (late + 1.0) / 2.0)
        self.assertAlmostEqual(s, 56.302, places=2)
        # Row 45: pos = -(59 - 45 + 1) / 20 = -0.75 -> tanh(1.875) / tanh(2.5).
        s45, raw45, _ = score([case({45: 1.0})])
        self.assertAlmostEqual(raw45, math.tanh(1.875) / math.tanh(2.5))
        self.assertGreater(s45, s)

    def test_only_earliest_detection_in_window_counts(self):
        _, raw, _ = score([case({45: 1.0, 50: 1.0, 59: 1.0})])
        self.assertAlmostEqual(raw, math.tanh(1.875) / math.tanh(2.5))

    def test_fp_after_window(self):
        # Hit at 40 (1.0) and an FP at row 70: d = |70 - 59| / (20 - 1) = 11/19,
        # sigma(d) = -tanh(2.5 * 11 / 19).
        fp = -math.tanh(2.5 * 11.0 / 19.0)
        for profile in PROFILES.values():
            _, raw, threshold = score([case({40: 1.0, 70: 1.0})], profile)
            self.assertEqual(threshold, 1.0)
            self.assertAlmostEqual(raw, 1.0 + profile["fp"] * fp)
        # Right after the window the penalty is small: row 60, d = 1/19.
        _, raw, _ = score([case({40: 1.0, 60: 1.0})])
        self.assertAlmostEqual(raw, 1.0 - 0.11 * math.tanh(2.5 / 19.0))
        # Far after (d > 3, row 99 with a 5-row window at 10..14 -> d = 85/4): full -fp.
        _, raw, _ = score([case({30: 1.0, 99: 1.0}, windows=[(30, 34)])])
        self.assertAlmostEqual(raw, 1.0 - 0.11)

    def test_fp_without_preceding_window(self):
        # Row 20: after probation, before the only window: -fp.
        s, raw, _ = score([case({20: 1.0, 40: 1.0})])
        self.assertAlmostEqual(raw, 1.0 - 0.11)
        self.assertAlmostEqual(s, 94.5)
        s, raw, _ = score([case({20: 1.0, 40: 1.0})], LOW_FP)
        self.assertAlmostEqual(raw, 1.0 - 0.22)

    def test_probationary_rows_are_not_scored(self):
        _, raw, _ = score([case({5: 1.0, 40: 1.0})])
        self.assertAlmostEqual(raw, 1.0)

    def test_threshold_swept_over_corpus(self):
        # File a: hit (0.9) at 40, FP (0.95) at row 20. File b: hit (0.5) at 40.
        # threshold 0.95: FP only, two misses:      -0.11 - 2       = -2.11
        # threshold 0.9:  hit a, FP, miss b:        1 - 0.11 - 1    = -0.11
        # threshold 0.5:  both hit, FP:             2 - 0.11        =  1.89  <- best
        a = case({20: 0.95, 40: 0.9}, name="a.csv")
        b = case({40: 0.5}, name="b.csv")
        s, raw, threshold = score([a, b])
        self.assertEqual(threshold, 0.5)
        self.assertAlmostEqual(raw, 1.89)
        self.assertAlmostEqual(s, 100.0 * (1.89 + 2.0) / 4.0)
        # With many FPs above 0.5 in file b the sweep stops at 0.9 instead.
        b = case({40: 0.5, **{r: 0.6 for r in range(70, 99)}}, name="b.csv")
        _, raw, threshold = score([a, b])
        self.assertEqual(threshold, 0.9)
        self.assertAlmostEqual(raw, -0.11)

    def test_window_rows_from_timestamps(self):
        ts = [nab.parse_ts(f"2014-01-01 00:{m:02d}:00") for m in range(10)]
        w = nab.window_rows(ts, [(nab.parse_ts("2014-01-01 00:03:00.000000"),
                                  nab.parse_ts("2014-01-01 00:06:00.000000"))])
        self.assertEqual(w, [(3, 6)])

    def test_breakdown_matches_sweep(self):
        c = case({20: 1.0, 45: 1.0, 70: 1.0})
        threshold, raw = nab.best_threshold([c], STANDARD)
        b = nab.file_breakdown(c, STANDARD, threshold)
        self.assertAlmostEqual(b["raw"], raw)
        self.assertEqual((b["hit"], b["missed"], b["fp_rows"]), (1, 0, 2))


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False).result.wasSuccessful() else 1)
