#!/usr/bin/env python3
"""A custom check in Python, as the team writes them: Nagios plugin contract."""
import sys

depth = int(sys.argv[1])
warn, crit = 10, 100
perf = f"'queue depth'={depth};{warn};{crit};0; 'it''s'=1s"
if depth > crit:
    print(f"QUEUE CRITICAL - {depth} messages waiting | {perf}")
    print("oldest message: 12 minutes")
    sys.exit(2)
if depth > warn:
    print(f"QUEUE WARNING - {depth} messages waiting | {perf}")
    print("oldest message: 2 minutes | extra=3")
    sys.exit(1)
print(f"QUEUE OK - {depth} messages waiting | {perf}")
