<?php
// selftest-probe.php: what `selftest preflight` looks at, seen by THIS host's PHP and its cURL.
// Written by `selftest probe-script` (selftest @VERSION@). Self-contained: PHP >= 7.2 with the
// curl and json extensions, nothing else (no Composer, no WordPress needed).
//
//   php selftest-probe.php [--token-file F] [--api-base URL] [--upload-base URL] [--cacert F]
//                          [--proxy URL] [--timeout SECONDS] [--backup-size BYTES]
//                          [--folder-id ID] [--backup-name NAME] [--resolve HOST:PORT:ADDR]...
//   wp eval-file selftest-probe.php [the same options]   (inside the site's WordPress: also
//                                    reads WP_PROXY_* and WordPress's CA bundle)
//
// It makes the requests the preflight makes: name lookups, one TLS handshake per Box host (no
// HTTP request), HEAD requests to read Box's clock, and — with a token — GET /2.0/users/me and
// Box's non-destructive upload preflight (OPTIONS /2.0/files/content): read-only, never a refresh
// token, at most @API_BUDGET@ Box API calls, all under one deadline. It prints ONE JSON document of
// raw observations, with no secret in it (the token is never printed; proxy passwords are
// blanked). Send that JSON to support; `selftest preflight --from probe.json` reports on it.

$SELFTEST_DEFAULTS_JSON = <<<'JSON'
@DEFAULTS@
JSON;
$SELFTEST = json_decode($SELFTEST_DEFAULTS_JSON, true);

function selftest_args($argv, $defaults)
{
    $o = array(
        'api_base' => $defaults['api_base'], 'upload_base' => $defaults['upload_base'],
        'custom_bases' => false, 'token_file' => null, 'cacert' => null, 'proxy' => null,
        'timeout_s' => (float) $defaults['timeout_s'], 'backup_size' => null,
        'folder_id' => '0', 'backup_name' => null, 'resolve' => array()
    );
    $names = array('--api-base' => 'api_base', '--upload-base' => 'upload_base',
                   '--token-file' => 'token_file', '--cacert' => 'cacert', '--proxy' => 'proxy',
                   '--timeout' => 'timeout_s', '--backup-size' => 'backup_size',
                   '--folder-id' => 'folder_id', '--backup-name' => 'backup_name',
                   '--resolve' => 'resolve');
    $count = count($argv);
    for ($i = 0; $i < $count; $i++) {
        $word = $argv[$i];
        $value = null;
        if (strpos($word, '=') !== false && substr($word, 0, 2) === '--') {
            list($word, $value) = explode('=', $word, 2);
        }
        if (!isset($names[$word])) {
            continue;  // the script's own path, wp-cli's words
        }
        if ($value === null) {
            $i++;
            $value = $i < $count ? $argv[$i] : '';
        }
        $key = $names[$word];
        if ($key === 'resolve') {
            $o['resolve'][] = $value;
        } else {
            $o[$key] = $value;
        }
        if ($key === 'api_base' || $key === 'upload_base') {
            $o['custom_bases'] = true;
        }
    }
    $o['timeout_s'] = max(1.0, (float) $o['timeout_s']);
    $o['backup_size'] = $o['backup_size'] === null ? null : selftest_size($o['backup_size']);
    return $o;
}

// "2G", "500MB", "1.5 GiB" or bytes, as `selftest preflight --backup-size` reads them.
function selftest_size($text)
{
    $units = array('' => 1, 'B' => 1, 'K' => 1024, 'M' => 1048576, 'G' => 1073741824,
                   'T' => 1099511627776);
    if (!preg_match('/^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$/i', (string) $text, $m)) {
        fwrite(STDERR, "selftest-probe: --backup-size: not a size: " . $text . "\n");
        exit(2);
    }
    return (int) ((float) $m[1] * $units[strtoupper($m[2])]);
}

function selftest_redact_url($url)
{
    // user:password@ in a proxy URL: the password is blanked, the user kept.
    return preg_replace('#^([a-z0-9+.-]+://[^:/@]*):[^@/]*@#i', '$1:[redacted]@', (string) $url);
}

function selftest_target($url, $role, $explicit)
{
    $parts = parse_url(strpos($url, '://') === false ? 'https://' . $url : $url);
    $scheme = isset($parts['scheme']) && strtolower($parts['scheme']) === 'http' ? 'http' : 'https';
    $port = isset($parts['port']) ? (int) $parts['port'] : ($scheme === 'http' ? 80 : 443);
    $host = isset($parts['host']) ? trim($parts['host'], '[]') : '';
    $shown = strpos($host, ':') !== false ? '[' . $host . ']' : $host;
    $default = $scheme === 'https' ? 443 : 80;
    return array('host' => $host, 'port' => $port, 'role' => $role, 'explicit' => $explicit,
                 'scheme' => $scheme,
                 'url' => $scheme . '://' . $shown . ($port === $default ? '' : ':' . $port) . '/');
}

function selftest_targets($o, $defaults)
{
    $found = array(selftest_target($o['api_base'], 'api', $o['custom_bases']),
                   selftest_target($o['upload_base'], 'upload', $o['custom_bases']));
    if (!$o['custom_bases']) {
        foreach ($defaults['other_hosts'] as $host) {
            $found[] = selftest_target($host, 'other', false);
        }
    }
    $unique = array();
    foreach ($found as $target) {
        $key = strtolower($target['host']) . ':' . $target['port'];
        if (!isset($unique[$key])) {
            $unique[$key] = $target;
        }
    }
    return array_values($unique);
}

function selftest_remaining_ms($p)
{
    return max(1, (int) (($p['deadline'] - microtime(true)) * 1000));
}

// One request through PHP's cURL; its raw observation. $r: method, headers, body, verify,
// cainfo, proxy (null: PHP's libcurl reads the proxy environment itself), connect_only,
// certinfo, verbose, timeout_ms.
function selftest_request($p, $url, $r)
{
    $headers = '';
    $body = '';
    $limit = 65536;
    $ch = curl_init();
    curl_setopt($ch, CURLOPT_URL, $url);
    curl_setopt($ch, CURLOPT_NOSIGNAL, 1);
    $timeout = isset($r['timeout_ms']) ? min($r['timeout_ms'], selftest_remaining_ms($p))
                                       : selftest_remaining_ms($p);
    curl_setopt($ch, CURLOPT_TIMEOUT_MS, $timeout);
    curl_setopt($ch, CURLOPT_HEADERFUNCTION, function ($h, $line) use (&$headers) {
        $headers .= $line;
        return strlen($line);
    });
    curl_setopt($ch, CURLOPT_WRITEFUNCTION, function ($h, $chunk) use (&$body, $limit) {
        if (strlen($body) < $limit) {
            $body .= substr($chunk, 0, $limit - strlen($body));
        }
        return strlen($chunk);
    });
    $method = isset($r['method']) ? $r['method'] : 'GET';
    if ($method === 'HEAD') {
        curl_setopt($ch, CURLOPT_NOBODY, 1);
    } elseif ($method !== 'GET' || isset($r['body'])) {
        curl_setopt($ch, CURLOPT_CUSTOMREQUEST, $method);
    }
    if (isset($r['body'])) {
        curl_setopt($ch, CURLOPT_POSTFIELDS, $r['body']);
    }
    if (!empty($r['headers'])) {
        curl_setopt($ch, CURLOPT_HTTPHEADER, $r['headers']);
    }
    if (isset($r['verify']) && !$r['verify']) {
        curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, 0);
        curl_setopt($ch, CURLOPT_SSL_VERIFYHOST, 0);
    } elseif (!empty($r['cainfo'])) {
        curl_setopt($ch, CURLOPT_CAINFO, $r['cainfo']);
    }
    if (isset($r['proxy']) && $r['proxy'] !== null) {
        curl_setopt($ch, CURLOPT_PROXY, $r['proxy']);
    }
    if (!empty($p['resolve'])) {
        curl_setopt($ch, CURLOPT_RESOLVE, $p['resolve']);
    }
    if (!empty($r['connect_only'])) {
        curl_setopt($ch, CURLOPT_CONNECT_ONLY, 1);
        if (!empty($r['proxy'])) {
            curl_setopt($ch, CURLOPT_HTTPPROXYTUNNEL, 1);
        }
    }
    if (!empty($r['certinfo'])) {
        curl_setopt($ch, CURLOPT_CERTINFO, 1);
    }
    $verbose = null;
    if (!empty($r['verbose'])) {
        $verbose = fopen('php://temp', 'w+');
        curl_setopt($ch, CURLOPT_VERBOSE, 1);
        curl_setopt($ch, CURLOPT_STDERR, $verbose);
    }
    $started = microtime(true);
    curl_exec($ch);
    $ended = microtime(true);
    $out = array(
        'url' => $url, 'method' => $method, 'verify' => !isset($r['verify']) || $r['verify'],
        'errno' => curl_errno($ch), 'error' => curl_error($ch),
        'http_code' => curl_getinfo($ch, CURLINFO_HTTP_CODE),
        'connect_code' => curl_getinfo($ch, CURLINFO_HTTP_CONNECTCODE),
        'started' => $started, 'ended' => $ended,
        'timings' => array(
            'namelookup' => curl_getinfo($ch, CURLINFO_NAMELOOKUP_TIME),
            'connect' => curl_getinfo($ch, CURLINFO_CONNECT_TIME),
            'appconnect' => curl_getinfo($ch, CURLINFO_APPCONNECT_TIME),
            'pretransfer' => curl_getinfo($ch, CURLINFO_PRETRANSFER_TIME),
            'starttransfer' => curl_getinfo($ch, CURLINFO_STARTTRANSFER_TIME),
            'total' => curl_getinfo($ch, CURLINFO_TOTAL_TIME)
        ),
        'primary_ip' => curl_getinfo($ch, CURLINFO_PRIMARY_IP),
        'headers_b64' => base64_encode($headers), 'body_b64' => base64_encode($body)
    );
    if (!empty($r['certinfo'])) {
        $out['certinfo'] = array();
        foreach ((array) curl_getinfo($ch, CURLINFO_CERTINFO) as $cert) {
            $pairs = array();
            foreach ((array) $cert as $name => $value) {
                $pairs[] = array((string) $name, (string) $value);
            }
            $out['certinfo'][] = $pairs;
        }
    }
    if ($verbose !== null) {
        rewind($verbose);
        $out['wire'] = array();
        foreach (explode("\n", (string) stream_get_contents($verbose)) as $line) {
            $line = rtrim($line, "\r");
            if (trim($line) !== '' && stripos($line, 'authorization:') === false
                    && count($out['wire']) < 500) {
                $out['wire'][] = $line;
            }
        }
    }
    curl_close($ch);
    return $out;
}

function selftest_dns($p, $target)
{
    foreach ($p['resolve'] as $pin) {
        $parts = explode(':', $pin, 3);
        if (count($parts) === 3 && strcasecmp($parts[0], $target['host']) === 0) {
            return array('host' => $target['host'], 'pinned' => $parts[2]);
        }
    }
    if (filter_var($target['host'], FILTER_VALIDATE_IP) !== false) {
        return array('host' => $target['host'], 'literal' => true,
                     'addresses' => array($target['host']));
    }
    $started = microtime(true);
    $v4 = gethostbynamel($target['host']);
    $v6 = array();
    if (function_exists('dns_get_record')) {
        $records = @dns_get_record($target['host'], DNS_AAAA);
        foreach ((array) $records as $record) {
            if (isset($record['ipv6'])) {
                $v6[] = $record['ipv6'];
            }
        }
    }
    return array('host' => $target['host'], 'addresses' => array_merge($v4 ? $v4 : array(), $v6),
                 'ms' => round((microtime(true) - $started) * 1000, 1));
}

// The skew of this clock against the API host's Date header, as selftest.checks.probes.skew measures
// it (htpdate): each request bounds it; the next is timed to split the window near its middle.
function selftest_clock($p, $url)
{
    $samples = array();
    $sample = function () use ($p, $url, &$samples) {
        $obs = selftest_request($p, $url, array('method' => 'HEAD', 'timeout_ms' => 10000,
                                                'cainfo' => $p['cacert'], 'proxy' => $p['proxy']));
        $samples[] = $obs;
        $date = null;
        foreach (explode("\n", base64_decode($obs['headers_b64'])) as $line) {
            if (stripos($line, 'date:') === 0) {
                $date = strtotime(trim(substr($line, 5)));
            }
        }
        if ($obs['errno'] || !$date) {
            return null;
        }
        $t = $obs['timings'];
        $overhead = max(0.0, ($obs['ended'] - $obs['started']) - $t['total']);
        $lo = $obs['started'] + $t['pretransfer'];
        $hi = max($lo, $obs['started'] + $t['starttransfer'] + $overhead);
        return array($obs['started'], $lo, $hi, $date);
    };
    $first = $sample();
    if ($first === null) {
        return array('samples' => $samples);
    }
    $low = $first[1] - $first[3] - 1;
    $high = $first[2] - $first[3];
    $used = 1;
    $rtt = $first[2] - $first[1];
    $lead = ($first[1] + $first[2]) / 2 - $first[0];
    $give_up = microtime(true) + max(0.0, selftest_remaining_ms($p) / 1000 - 2.0);
    while ($used < $p['max_clock_requests'] && ($high - $low) / 2 > max(0.004, $rtt)) {
        // The soonest split point of the window's middle fifth (skew.py's _next_send).
        $width = $high - $low;
        $first = $low + $width * 0.4;
        $last = $high - $width * 0.4;
        $stamp = microtime(true) + $lead + 0.002;
        $send_at = max($stamp, ceil($stamp - $last) + $first) - $lead;
        if ($send_at > $give_up) {
            break;
        }
        usleep((int) max(0, ($send_at - microtime(true)) * 1000000));
        $next = $sample();
        $used++;
        if ($next === null) {
            break;
        }
        $rtt = min($rtt, $next[2] - $next[1]);
        $lead = ($next[1] + $next[2]) / 2 - $next[0];
        $new_low = $next[1] - $next[3] - 1;
        $new_high = $next[2] - $next[3];
        if ($new_low > $high || $new_high < $low) {
            $low = $new_low;
            $high = $new_high;
        } else {
            $low = max($low, $new_low);
            $high = min($high, $new_high);
        }
    }
    return array('samples' => $samples, 'skew_s' => ($low + $high) / 2,
                 'error_s' => ($high - $low) / 2, 'requests' => $used, 'rtt_s' => $rtt);
}

function selftest_proxy_env()
{
    $out = array();
    foreach (array('https_proxy', 'HTTPS_PROXY', 'http_proxy', 'all_proxy', 'ALL_PROXY',
                   'no_proxy', 'NO_PROXY') as $name) {
        $value = getenv($name);
        if ($value !== false && $value !== '') {
            $out[$name] = selftest_redact_url($value);
        }
    }
    return $out;
}

function selftest_wordpress()
{
    if (!defined('ABSPATH') || !defined('WPINC')) {
        return null;
    }
    $out = array('version' => isset($GLOBALS['wp_version']) ? $GLOBALS['wp_version'] : '',
                 'ca_bundle' => ABSPATH . WPINC . '/certificates/ca-bundle.crt');
    foreach (array('WP_PROXY_HOST', 'WP_PROXY_PORT', 'WP_PROXY_USERNAME', 'WP_PROXY_BYPASS_HOSTS',
                   'WP_HTTP_BLOCK_EXTERNAL', 'WP_ACCESSIBLE_HOSTS') as $name) {
        if (defined($name)) {
            $out[$name] = constant($name);
        }
    }
    if (defined('WP_PROXY_PASSWORD')) {
        $out['WP_PROXY_PASSWORD'] = '[redacted]';
    }
    return $out;
}

function selftest_main($argv, $defaults)
{
    $o = selftest_args($argv, $defaults);
    $p = array('deadline' => microtime(true) + $o['timeout_s'], 'resolve' => $o['resolve'],
               'max_clock_requests' => (int) $defaults['max_clock_requests'],
               'cacert' => $o['cacert'], 'proxy' => $o['proxy']);
    $token = '';
    if ($o['token_file'] !== null && is_readable($o['token_file'])) {
        $token = trim((string) file_get_contents($o['token_file']));
    } elseif (getenv('BOX_ACCESS_TOKEN')) {
        $token = trim((string) getenv('BOX_ACCESS_TOKEN'));
    }
    $version = curl_version();
    $features = array();
    foreach (get_defined_constants(true)['curl'] as $name => $value) {
        if (strpos($name, 'CURL_VERSION_') === 0 && $name !== 'CURL_VERSION_NOW' && $value
                && ($version['features'] & $value)) {
            $features[] = substr($name, 13);
        }
    }
    $locations = function_exists('openssl_get_cert_locations') ? openssl_get_cert_locations()
                                                                : array();
    $out = array(
        'schema_version' => 1, 'kind' => 'selftest-probe', 'probe' => $defaults['version'],
        'started_at' => gmdate('Y-m-d\TH:i:s\Z'),
        'php' => array('version' => PHP_VERSION, 'sapi' => PHP_SAPI,
                       'ini' => (string) php_ini_loaded_file()),
        'curl' => array('version' => $version['version'], 'ssl_version' => $version['ssl_version'],
                        'features' => $features),
        'ca' => array('curl.cainfo' => (string) ini_get('curl.cainfo'),
                      'openssl.cafile' => (string) ini_get('openssl.cafile'),
                      'default_cert_file' => isset($locations['default_cert_file'])
                          ? $locations['default_cert_file'] : '',
                      'cacert' => $o['cacert']),
        'proxy' => array('option' => $o['proxy'] === null ? null : selftest_redact_url($o['proxy']),
                         'environment' => selftest_proxy_env()),
        'wordpress' => selftest_wordpress(),
        'options' => array('api_base' => $o['api_base'], 'upload_base' => $o['upload_base'],
                           'custom_bases' => $o['custom_bases'], 'timeout_s' => $o['timeout_s'],
                           'backup_size' => $o['backup_size'], 'folder_id' => $o['folder_id'],
                           'backup_name' => $o['backup_name'], 'resolve' => $o['resolve'],
                           'token_given' => $token !== ''),
        'dns' => array(), 'tls' => array(), 'api_calls' => array()
    );
    $targets = selftest_targets($o, $defaults);
    foreach ($targets as $target) {
        $out['dns'][] = selftest_dns($p, $target);
    }
    foreach ($targets as $target) {
        if ($target['scheme'] !== 'https') {
            continue;
        }
        $shake = array('connect_only' => true, 'certinfo' => true, 'verbose' => true,
                       'cainfo' => $o['cacert'], 'proxy' => $o['proxy'], 'timeout_ms' => 10000);
        $seen = array('host' => $target['host'], 'port' => $target['port'],
                      'role' => $target['role'],
                      'verified' => selftest_request($p, $target['url'], $shake));
        if ($seen['verified']['errno'] !== 0) {
            $seen['unverified'] = selftest_request($p, $target['url'],
                                                   array_merge($shake, array('verify' => false)));
        }
        $out['tls'][] = $seen;
    }
    $api = $targets[0];
    $out['clock'] = selftest_clock($p, $api['url']);
    if ($token !== '') {
        $bearer = array('Authorization: Bearer ' . $token, 'Accept: application/json');
        $me_url = rtrim($o['api_base'], '/') . '/2.0/users/me?fields=' . $defaults['user_fields'];
        $out['api_calls'][] = 'GET /2.0/users/me';
        $out['users_me'] = selftest_request($p, $me_url, array(
            'headers' => $bearer, 'cainfo' => $o['cacert'], 'proxy' => $o['proxy']));
        $me = json_decode(base64_decode($out['users_me']['body_b64']), true);
        if (is_array($me) && isset($me['id']) && count($out['api_calls']) < $defaults['api_budget']) {
            $name = $o['backup_name'] !== null ? $o['backup_name']
                                               : 'selftest-preflight-' . time() . '.wpress';
            $doc = array('name' => $name, 'parent' => array('id' => $o['folder_id']));
            if ($o['backup_size'] !== null) {
                $doc['size'] = $o['backup_size'];
            }
            $out['api_calls'][] = 'OPTIONS /2.0/files/content';
            $out['upload_preflight'] = selftest_request($p,
                rtrim($o['api_base'], '/') . '/2.0/files/content', array(
                    'method' => 'OPTIONS', 'body' => json_encode($doc),
                    'headers' => array_merge($bearer, array('Content-Type: application/json')),
                    'cainfo' => $o['cacert'], 'proxy' => $o['proxy']));
        }
    }
    $out['elapsed_ms'] = round((microtime(true) - ($p['deadline'] - $o['timeout_s'])) * 1000, 1);
    return $out;
}

if (!function_exists('curl_init') || !function_exists('json_encode')) {
    fwrite(STDERR, "selftest-probe: this PHP lacks the curl or json extension\n");
    exit(3);
}
$selftest_argv = isset($argv) ? $argv : array();
if (defined('WP_CLI') && isset($args) && is_array($args)) {
    $selftest_argv = $args;  // `wp eval-file FILE [ARGS...]` hands its extra words as $args
}
echo json_encode(selftest_main($selftest_argv, $SELFTEST),
                 JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
