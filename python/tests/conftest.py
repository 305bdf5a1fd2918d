import pathlib
import sys

# `demo.py`, the notebook's loop, sits beside the tests
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
