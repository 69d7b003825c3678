<?php
// selftest's WordPress client: one wp_remote_request() through WordPress's own HTTP API
// (WP_Http -> Requests -> PHP's cURL), with WordPress loaded WITHOUT a database: only the
// wp-includes files the HTTP API needs, and the few options it reads answered through
// WordPress's own `pre_option_*` filters. Run by selftest/clients/wordpress.py as
// `php wp_replay.php describe|replay` with one JSON request on standard input:
//
//   {"wp_path": DIR, "url": ..., "args": {wp_remote_request arguments},
//    "body_b64": the body or null, "constants": {"WP_PROXY_HOST": ..., ...},
//    "body_limit_bytes": N}
//
// Prints one JSON document: WordPress's result as the site admin's code would see it (the
// WP_Error code and message, or the response's status, headers and body), plus what the cURL
// handle itself reported (errno, CONNECT status, timings), taken from the `http_api_curl` action.
//
// `php wp_replay.php serve` is a long-lived worker (selftest/clients/php_workers.py): one such
// request per line on standard input, one result per line (with the worker's "pid"), until the
// end of its input. WordPress is loaded once, by the first request: WP_PROXY_* are constants,
// so a worker serves only requests with the same path and constants (the pool keys by them).

function selftest_wp_load($request) {
    $root = rtrim($request['wp_path'], '/') . '/';
    if (!is_file($root . 'wp-includes/class-wp-http.php')) {
        return 'no WordPress at ' . $root . ' (wp-includes/class-wp-http.php is missing)';
    }
    define('ABSPATH', $root);
    define('WPINC', 'wp-includes');
    foreach ($request['constants'] as $name => $value) {
        define($name, $value);
    }
    $GLOBALS['selftest_options'] = array(
        'home' => 'http://wordpress.invalid', 'siteurl' => 'http://wordpress.invalid',
        'blog_charset' => 'UTF-8', 'WPLANG' => '',
    );
    $files = array('version.php', 'load.php', 'compat.php', 'class-wp-error.php',
                   'plugin.php', 'functions.php', 'option.php', 'formatting.php',
                   'general-template.php', 'link-template.php', 'pomo/translations.php',
                   'l10n.php', 'kses.php',
                   'http.php', 'class-wp-http.php', 'class-wp-http-streams.php',
                   'class-wp-http-curl.php', 'class-wp-http-proxy.php',
                   'class-wp-http-cookie.php', 'class-wp-http-encoding.php',
                   'class-wp-http-response.php', 'class-wp-http-requests-response.php',
                   'class-wp-http-requests-hooks.php');
    foreach ($files as $file) {
        if (is_file(ABSPATH . WPINC . '/' . $file)) {
            require_once ABSPATH . WPINC . '/' . $file;
        }
    }
    // version.php sets plain variables: included from a function they are its locals.
    $GLOBALS['wp_version'] = $wp_version;
    // No database: the options the HTTP API reads come from this table, through WordPress's
    // own short-circuit filter (get_option() returns a pre_option value without any query).
    add_filter('pre_option', function ($pre, $option) {
        return isset($GLOBALS['selftest_options'][$option])
            ? $GLOBALS['selftest_options'][$option] : $pre;
    }, 10, 2);
    return null;
}

function selftest_wp_describe($request) {
    $fault = selftest_wp_load($request);
    if ($fault !== null) {
        return array('fault' => $fault);
    }
    $requests = class_exists('WpOrg\Requests\Requests') ? 'WpOrg\Requests\Requests' : 'Requests';
    return array(
        'wordpress' => $GLOBALS['wp_version'],
        'requests' => constant($requests . '::VERSION'),
        'php_version' => PHP_VERSION,
        'curl_version' => curl_version(),
        'sslcertificates' => ABSPATH . WPINC . '/certificates/ca-bundle.crt',
    );
}

function selftest_wp_replay($request) {
    $fault = selftest_wp_load($request);
    if ($fault !== null) {
        return array('fault' => $fault);
    }
    return selftest_wp_request($request);
}

// One wp_remote_request on a loaded WordPress. Requests makes a fresh cURL handle for each
// request; the action that shows it to us is removed again, so nothing outlives the request.
function selftest_wp_request($request) {
    $handle = null;
    $seen = function ($h) use (&$handle) {
        $handle = $h;
    };
    add_action('http_api_curl', $seen, 10, 1);
    try {
        return selftest_wp_result($request, $handle);
    } finally {
        remove_action('http_api_curl', $seen, 10);
    }
}

function selftest_wp_result($request, &$handle) {
    $args = $request['args'];
    if (isset($request['body_b64'])) {
        $args['body'] = base64_decode($request['body_b64']);
    }
    $started = microtime(true);
    $response = wp_remote_request($request['url'], $args);
    $out = array('elapsed_ms' => round((microtime(true) - $started) * 1000, 1));
    if (is_wp_error($response)) {
        $out['wp_error_code'] = $response->get_error_code();
        $out['message'] = $response->get_error_message();
    } else {
        $out['http_code'] = wp_remote_retrieve_response_code($response);
        $reason = wp_remote_retrieve_response_message($response);
        $version = '1.1';
        if (isset($response['http_response'])) {
            $object = $response['http_response']->get_response_object();
            $version = (string) $object->protocol_version;
        }
        $head = 'HTTP/' . $version . ' ' . $out['http_code'] . ' ' . $reason . "\r\n";
        foreach (wp_remote_retrieve_headers($response) as $name => $value) {
            foreach ((array) $value as $one) {
                $head .= $name . ': ' . $one . "\r\n";
            }
        }
        $out['headers_b64'] = base64_encode($head . "\r\n");
        $body = wp_remote_retrieve_body($response);
        $out['body_b64'] = base64_encode(substr($body, 0, (int) $request['body_limit_bytes']));
    }
    if ($handle !== null) {
        // What the cURL handle itself said: the code behind WordPress's message.
        $out['errno'] = curl_errno($handle);
        $out['error'] = curl_error($handle);
        $out['connect_code'] = curl_getinfo($handle, CURLINFO_HTTP_CONNECTCODE);
        $out['timings'] = array(
            'namelookup' => curl_getinfo($handle, CURLINFO_NAMELOOKUP_TIME),
            'connect' => curl_getinfo($handle, CURLINFO_CONNECT_TIME),
            'appconnect' => curl_getinfo($handle, CURLINFO_APPCONNECT_TIME),
            'pretransfer' => curl_getinfo($handle, CURLINFO_PRETRANSFER_TIME),
            'starttransfer' => curl_getinfo($handle, CURLINFO_STARTTRANSFER_TIME),
            'total' => curl_getinfo($handle, CURLINFO_TOTAL_TIME),
        );
        $out['primary_ip'] = curl_getinfo($handle, CURLINFO_PRIMARY_IP);
    }
    return $out;
}

// Requests, one per line, until the end of standard input (the parent closed it, or died), each
// answered on one flushed line; what a request prints itself is dropped (it would be read as
// the result). WordPress is loaded by the first request, with its path and constants.
function selftest_wp_serve() {
    $loaded = null;
    $fault = null;
    while (($line = fgets(STDIN)) !== false) {
        if (trim($line) === '') {
            continue;
        }
        $request = json_decode($line, true);
        ob_start();
        if (!is_array($request)) {
            $result = array('php_error' => 'the line on standard input is not a JSON request');
        } else {
            $wanted = array($request['wp_path'], $request['constants']);
            if ($loaded === null) {
                $loaded = $wanted;
                $fault = selftest_wp_load($request);
            }
            if ($fault !== null) {
                $result = array('fault' => $fault);
            } elseif ($wanted != $loaded) {
                $result = array('php_error' => 'this worker loaded WordPress with another '
                                . 'path or other WP_PROXY_* constants');
            } else {
                $result = selftest_wp_request($request);
            }
        }
        ob_end_clean();
        $result['pid'] = getmypid();
        echo json_encode($result, JSON_INVALID_UTF8_SUBSTITUTE), "\n";
        flush();
    }
}

$mode = isset($argv[1]) ? $argv[1] : 'replay';
if ($mode === 'serve') {
    if (!function_exists('curl_init')) {
        echo json_encode(array('fault' => 'the PHP curl extension is not loaded')), "\n";
        exit(3);
    }
    selftest_wp_serve();
    exit(0);
}
$request = json_decode(stream_get_contents(STDIN), true);
if (!is_array($request)) {
    echo json_encode(array('fault' => 'no JSON request on standard input')), "\n";
    exit(3);
}
if (!function_exists('curl_init')) {
    echo json_encode(array('fault' => 'the PHP curl extension is not loaded')), "\n";
    exit(3);
}
$result = $mode === 'describe' ? selftest_wp_describe($request) : selftest_wp_replay($request);
echo json_encode($result, JSON_INVALID_UTF8_SUBSTITUTE), "\n";
