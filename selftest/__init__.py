"""selftest: a connectivity self-test harness for the Box API.

It tells the people who run WordPress sites backed up to Box with the All-in-One WP Migration
Box extension which part of the path broke (DNS, proxy, TLS, clock, token, quota), and proves
each explanation by reproducing the failure against local servers.
"""

__version__ = "0.1.0"
