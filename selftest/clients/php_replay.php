<?php
// selftest's PHP client: one request through PHP's own cURL extension (curl_init, curl_setopt,
// curl_exec), as a PHP plugin makes it. Shipped with the selftest package; run by
// selftest/clients/php.py as `php php_replay.php describe` or `php php_replay.php replay [FILE]`
// with one JSON request in FILE or on standard input: prints one JSON document, nothing else.
// `php php_replay.php serve` is a long-lived worker (selftest/clients/php_workers.py): one JSON
// request per line on standard input, one JSON result per line (with the worker's "pid"), until
// the end of its input. Every request gets its own curl handle: nothing carries over.
//
// Request: {"url": "...", "options": [[OPTION_ID, VALUE, "CURLOPT_NAME"], ...],
//           "body_b64": "..." | null, "body_limit_bytes": N}
// The Python side turns the scenario into numbered options with PHP's own constants (from
// `describe`), so this file stays generic: it knows no scenario.

function selftest_describe() {
    $curl = array();
    foreach (get_defined_constants(true)['curl'] as $name => $value) {
        $curl[$name] = $value;
    }
    $version = curl_version();
    return array(
        'php_version' => PHP_VERSION,
        'curl_version' => $version,
        'constants' => $curl,
        'ini' => array(
            'curl.cainfo' => (string) ini_get('curl.cainfo'),
            'openssl.cafile' => (string) ini_get('openssl.cafile'),
            'openssl.capath' => (string) ini_get('openssl.capath'),
        ),
    );
}

function selftest_replay($request) {
    $headers = '';
    $body = '';
    $limit = (int) $request['body_limit_bytes'];
    $ch = curl_init();
    $out = array('errno' => 0, 'error' => '', 'phase' => null);
    $setup = array(
        array(CURLOPT_URL, $request['url'], 'CURLOPT_URL'),
        array(CURLOPT_HEADERFUNCTION, function ($handle, $line) use (&$headers) {
            $headers .= $line;
            return strlen($line);
        }, 'CURLOPT_HEADERFUNCTION'),
        array(CURLOPT_WRITEFUNCTION, function ($handle, $chunk) use (&$body, $limit) {
            if (strlen($body) < $limit) {
                $body .= substr($chunk, 0, $limit - strlen($body));
            }
            return strlen($chunk);
        }, 'CURLOPT_WRITEFUNCTION'),
    );
    if (isset($request['body_b64'])) {
        $setup[] = array(CURLOPT_POSTFIELDS, base64_decode($request['body_b64']),
                         'CURLOPT_POSTFIELDS');
    }
    $verbose = null;
    if (!empty($request['verbose'])) {
        // libcurl's own verbose lines ("* text", "> sent", "< received"), as `curl -v` prints.
        $verbose = fopen('php://temp', 'w+');
        $setup[] = array(CURLOPT_VERBOSE, 1, 'CURLOPT_VERBOSE');
        $setup[] = array(CURLOPT_STDERR, $verbose, 'CURLOPT_STDERR');
    }
    if (!empty($request['certinfo'])) {
        $setup[] = array(CURLOPT_CERTINFO, 1, 'CURLOPT_CERTINFO');
    }
    foreach (array_merge($setup, $request['options']) as $option) {
        list($id, $value, $name) = $option;
        try {
            $ok = curl_setopt($ch, $id, $value);
        } catch (Throwable $exc) {
            // PHP 8 refuses some values itself (a TypeError/ValueError), before libcurl sees them.
            $out['php_error'] = $name . ': ' . $exc->getMessage();
            return $out;
        }
        if (!$ok) {
            // libcurl refused the option when it was set (4, 43, 48, 53, 66 ...).
            $out['errno'] = curl_errno($ch);
            $out['error'] = curl_error($ch);
            $out['phase'] = 'setup';
            $out['refused_option'] = $name;
            return $out;
        }
    }
    $started = microtime(true);
    curl_exec($ch);
    $out['elapsed_ms'] = round((microtime(true) - $started) * 1000, 1);
    $out['errno'] = curl_errno($ch);
    $out['error'] = curl_error($ch);
    $out['http_code'] = curl_getinfo($ch, CURLINFO_HTTP_CODE);
    $out['connect_code'] = curl_getinfo($ch, CURLINFO_HTTP_CONNECTCODE);
    $out['timings'] = array(
        'namelookup' => curl_getinfo($ch, CURLINFO_NAMELOOKUP_TIME),
        'connect' => curl_getinfo($ch, CURLINFO_CONNECT_TIME),
        'appconnect' => curl_getinfo($ch, CURLINFO_APPCONNECT_TIME),
        'pretransfer' => curl_getinfo($ch, CURLINFO_PRETRANSFER_TIME),
        'starttransfer' => curl_getinfo($ch, CURLINFO_STARTTRANSFER_TIME),
        'total' => curl_getinfo($ch, CURLINFO_TOTAL_TIME),
    );
    $out['primary_ip'] = curl_getinfo($ch, CURLINFO_PRIMARY_IP);
    $out['effective_url'] = curl_getinfo($ch, CURLINFO_EFFECTIVE_URL);
    $out['ssl_verify_result'] = curl_getinfo($ch, CURLINFO_SSL_VERIFYRESULT);
    if (!empty($request['certinfo'])) {
        // Each certificate as [name, value] pairs, leaf first, like pycurl's INFO_CERTINFO.
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
            if (trim($line) !== '' && count($out['wire']) < 2000) {
                $out['wire'][] = rtrim($line, "\r");
            }
        }
    }
    $out['headers_b64'] = base64_encode($headers);
    $out['body_b64'] = base64_encode($body);
    curl_close($ch);
    return $out;
}

// One request per line until the end of standard input (the parent closed it, or died), each
// answered on one flushed line. What a request prints itself is dropped: a stray line would be
// read as the next request's result.
function selftest_serve($handle) {
    while (($line = fgets(STDIN)) !== false) {
        if (trim($line) === '') {
            continue;
        }
        $request = json_decode($line, true);
        ob_start();
        $result = is_array($request) ? $handle($request)
            : array('php_error' => 'the line on standard input is not a JSON request');
        ob_end_clean();
        $result['pid'] = getmypid();
        echo json_encode($result, JSON_INVALID_UTF8_SUBSTITUTE), "\n";
        flush();
    }
}

$mode = isset($argv[1]) ? $argv[1] : 'replay';
if (!function_exists('curl_init')) {
    echo json_encode(array('fault' => 'the PHP curl extension is not loaded')), "\n";
    exit(3);
}
if ($mode === 'describe') {
    echo json_encode(selftest_describe()), "\n";
    exit(0);
}
if ($mode === 'serve') {
    selftest_serve('selftest_replay');
    exit(0);
}
// The request: on stdin (or a file named after the mode, for running this script by hand).
$request = json_decode(isset($argv[2]) ? file_get_contents($argv[2]) : stream_get_contents(STDIN),
                       true);
if (!is_array($request)) {
    echo json_encode(array('fault' => 'no JSON request on standard input')), "\n";
    exit(3);
}
echo json_encode(selftest_replay($request), JSON_INVALID_UTF8_SUBSTITUTE), "\n";
