"""`import helix_gym` stays light: no torch, transformers, vllm, pygame or stable-baselines3."""

import subprocess
import sys


def test_import_does_not_pull_heavy_dependencies():
    code = (
        "import sys, helix_gym, agents; heavy = {'torch', 'transformers', 'vllm', 'pygame', 'stable_baselines3',"
        " 'matplotlib'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
