"""The documents stage: readers that turn files into Document records (and gold annotations)."""
