"""What the six checks are built from: the probes they send and the inputs they read.

The checks themselves (dns, proxy, tls, clock, token, quota) are the top-level modules of
`selftest.checks`; everything here serves them and imports none of them
(tests/unit/test_layers.py).

    context    Context and Options: the hosts, one deadline, the API budget, every Request built
    reach      what the runner hands the checks that talk to Box: unresolved hosts, the path probe
    resolver   name resolution behind an interface (the system's, or a chosen server in tests)
    proxyenv   which proxy libcurl would take for a host, from proxy variables captured once
    wpconfig   WordPress's proxy and outbound-HTTP settings, read from wp-config.php (once a run)
    certs      what a TLS handshake showed: the chain (CERTINFO) and the negotiated session
    skew       sub-second clock skew from 1-second `Date` headers
    php        what PHP on this machine would use: its libcurl, TLS library and CA settings
    boxconfig  the Box app config file (`--box-config`) and the JWT assertion built from it
    boxapi     the few Box API calls a preflight makes, each at most once per run
    boxshape   whether it was Box that answered (captive portals, WAF pages, a wrong --api-base)
    mock       a MockTransport, so the checks' logic is tested without a socket
"""
