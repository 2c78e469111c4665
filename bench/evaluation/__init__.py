"""The matching evaluation set and what scores a ranking on it (hit@1, NDCG@3).

Used by the tests (tests/matching/test_matching_evaluation.py) and by the quality bench
(`python -m bench bench_matching_quality`), which compares the policy with the previous one
and with two baselines in the same run.
"""
