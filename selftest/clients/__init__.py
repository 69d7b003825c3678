"""Reproduction clients other than pycurl: the customer's own stack.

The extension runs inside PHP, whose cURL is the distribution's libcurl (Debian 12: 7.88.1 with
OpenSSL 3.0), not pycurl's bundled 8.x. `selftest reproduce --client php` replays every scenario
that is a plain request through PHP's own `curl_*` functions (`php.py`, with the PHP helper
`php_replay.php` shipped beside it); `--client wordpress --wp-path DIR` through WordPress's
`wp_remote_request` (`wordpress.py`, `wp_replay.php`). `replay.py` holds what both share: which
scenarios a client can express, the run under the fault servers, and the verdict, which needs
the code/status expected of that libcurl generation AND `explain` of the message the site admin
would see naming the expected cause. `doh.py` is the local DNS answer for names that must fail.

These clients run as separate processes (php), and their results become
Observations through `selftest.observe`, like pycurl's.
"""
