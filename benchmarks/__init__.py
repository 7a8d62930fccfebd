"""pmconsole's benchmarks: each figure measured against an anchor in the same run."""
