"""Run the command line as `python -m chancery`."""
from chancery.cli import main

main()
