"""`python -m muxgate`: the same as the `muxgate` command."""

from muxgate import main

main()
