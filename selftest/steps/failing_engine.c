/* A purpose-built OpenSSL engine whose ENGINE_set_default() fails, so that libcurl returns
 * CURLE_SSL_ENGINE_SETFAILED (54) for real. Built by selftest/steps/engine.py against the
 * libcrypto that pycurl's libcurl loaded; it needs no OpenSSL headers (ENGINE is opaque here).
 *
 * How it fails: libcurl's CURLOPT_SSLENGINE calls ENGINE_init() (our init succeeds), then
 * CURLOPT_SSLENGINE_DEFAULT calls ENGINE_set_default(), which first asks for our cipher list.
 * That query releases the functional reference (ENGINE_finish), so registering the engine as
 * the default must initialise it again, and the second init fails. ENGINE_up_ref keeps the
 * structure alive for libcurl's own ENGINE_finish/ENGINE_free at cleanup. One use per process:
 * the step runs it in a fresh child process.
 */
typedef struct engine_st ENGINE;
typedef int (*engine_gen_int)(ENGINE *);
typedef int (*engine_ciphers)(ENGINE *, const void **, const int **, int);

extern int ENGINE_set_id(ENGINE *, const char *);
extern int ENGINE_set_name(ENGINE *, const char *);
extern int ENGINE_set_init_function(ENGINE *, engine_gen_int);
extern int ENGINE_set_ciphers(ENGINE *, engine_ciphers);
extern int ENGINE_finish(ENGINE *);
extern int ENGINE_up_ref(ENGINE *);

#define OSSL_DYNAMIC_VERSION 0x00030000UL

static int init_calls = 0;
static const int cipher_nids[] = {419}; /* NID_aes_128_cbc: any one cipher will do */

static int failing_init(ENGINE *e) { (void)e; return ++init_calls == 1; }

static int releasing_ciphers(ENGINE *e, const void **cipher, const int **nids, int nid) {
    (void)nid;
    if (cipher == 0) {
        ENGINE_up_ref(e);
        ENGINE_finish(e);
        *nids = cipher_nids;
        return 1;
    }
    *cipher = 0;
    return 0;
}

int bind_engine(ENGINE *e, const char *id, const void *fns) {
    (void)id;
    (void)fns;
    return ENGINE_set_id(e, "selftest_failset")
        && ENGINE_set_name(e, "selftest: an engine that cannot be made the default")
        && ENGINE_set_init_function(e, failing_init)
        && ENGINE_set_ciphers(e, releasing_ciphers);
}

unsigned long v_check(unsigned long version) {
    return version >= OSSL_DYNAMIC_VERSION ? OSSL_DYNAMIC_VERSION : 0;
}
