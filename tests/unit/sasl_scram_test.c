/* The SCRAM client: RFC 7677's SHA-256 exchange byte for byte, a SHA-512
 * exchange whose values were computed independently (Python's hashlib and
 * hmac), and every way a hostile or broken server message is refused. */
#include <check.h>
#include <string.h>

#include "ktest.h"
#include "sasl/scram.h"

static kbuf out;
static char errstr[256];

static void setup(void)
{
    out = (kbuf){0};
    errstr[0] = '\0';
}

static void teardown(void)
{
    kbuf_free(&out);
}

static const uint8_t *u8(const char *s)
{
    return (const uint8_t *)s;
}

static void assert_out(const char *want)
{
    ck_assert_uint_eq(out.len, strlen(want));
    ck_assert_msg(memcmp(out.data, want, out.len) == 0, "got %.*s", (int)out.len, out.data);
    out.len = 0;
}

/* A client that sent client-first with nonce and user. */
static kscram *started(int bits, const char *user, const char *pw, const char *nonce)
{
    kscram *s = kscram_new(bits, user, pw);
    ck_assert_ptr_nonnull(s);
    kscram_set_nonce(s, nonce);
    ck_assert_int_eq(kscram_client_first(s, &out), 0);
    return s;
}

START_TEST(test_rfc7677_sha256_exchange)
{
    kscram *s = started(256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    assert_out("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const char *first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    ck_assert_int_eq(kscram_client_final(s, u8(first), strlen(first), &out, errstr, 256), 0);
    assert_out("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
               "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    const char *final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    ck_assert_int_eq(kscram_server_final(s, u8(final), strlen(final), errstr, 256), 0);
    kscram_free(s);
}
END_TEST

START_TEST(test_sha512_exchange)
{
    kscram *s = started(512, "alice", "alice-secret", "fyko+d2lbbFgONRv9qkxdawL");
    out.len = 0;
    const char *first =
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=a2ZrLXRlc3Qtc2FsdC01MTI=,i=4096";
    ck_assert_int_eq(kscram_client_final(s, u8(first), strlen(first), &out, errstr, 256), 0);
    assert_out("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=CHJDJh7p0aSPT5kRMzMWWaIW43kv"
               "Desyov5pQVCUryek0qQhEMXDGqczOO4zgIfoLAx3i+pyKFODwHlKCNg/vA==");
    const char *final = "v=RJYPsdU/NJNOtllvShC9SNsrTE9xiXF4R52zrdyv/x5NnYFwyPdZK97OPZqCF53RDTLEph"
                        "VTvF9qVnsS5kXviQ==";
    ck_assert_int_eq(kscram_server_final(s, u8(final), strlen(final), errstr, 256), 0);
    kscram_free(s);
}
END_TEST

START_TEST(test_a_wrong_server_signature_fails)
{
    kscram *s = started(256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    const char *first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    ck_assert_int_eq(kscram_client_final(s, u8(first), strlen(first), &out, errstr, 256), 0);
    const char *forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    ck_assert_int_eq(kscram_server_final(s, u8(forged), strlen(forged), errstr, 256), KFK_ERR_AUTH);
    ck_assert_str_eq(errstr, "the broker's signature is wrong: it does not know the password");
    const char *err = "e=invalid-proof";
    ck_assert_int_eq(kscram_server_final(s, u8(err), strlen(err), errstr, 256), KFK_ERR_AUTH);
    ck_assert_str_eq(errstr, "the broker refused: invalid-proof");
    const char *none = "x=abc";
    ck_assert_int_eq(kscram_server_final(s, u8(none), strlen(none), errstr, 256),
                     KFK_ERR_MALFORMED);
    kscram_free(s);
}
END_TEST

static const struct bad_first {
    const char *msg;
    int err;
    const char *why;
} bad_firsts[] = {
    {"r=abcdef%x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", KFK_ERR_AUTH,
     "the broker's nonce does not extend the client's (RFC 5802)"},
    {"r=abcdefgh,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", KFK_ERR_AUTH,
     "the broker's nonce does not extend the client's (RFC 5802)"},
    {"r=abcdefghXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095", KFK_ERR_AUTH,
     "the broker asks for 4095 iterations; kfk takes 4096 to 16384"},
    {"r=abcdefghXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2000000000", KFK_ERR_AUTH,
     "the broker asks for 2000000000 iterations; kfk takes 4096 to 16384"},
    {"r=abcdefghXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-5", KFK_ERR_MALFORMED,
     "server-first-message: i= is not a number"},
    {"r=abcdefghXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x", KFK_ERR_MALFORMED,
     "server-first-message: i= is not a number"},
    {"r=abcdefghXYZ,s=not base64!,i=4096", KFK_ERR_MALFORMED,
     "server-first-message: s= is not base64"},
    {"r=abcdefghXYZ,s=W22Z=aJ0,i=4096", KFK_ERR_MALFORMED,
     "server-first-message: s= is not base64"},
    {"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=abcdefghXYZ,i=4096", KFK_ERR_MALFORMED,
     "server-first-message lacks r=, s= and i= in that order"},
    {"r=abcdefghXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==", KFK_ERR_MALFORMED,
     "server-first-message lacks r=, s= and i= in that order"},
    {"m=ext,r=abcdefghXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", KFK_ERR_AUTH,
     "server-first-message has a mandatory extension kfk does not know"},
    {"e=unknown-user", KFK_ERR_AUTH, "the broker refused: unknown-user"},
    {"", KFK_ERR_MALFORMED, "server-first-message is empty, too long or holds a NUL"},
};

START_TEST(test_a_bad_server_first_message_is_refused)
{
    const struct bad_first *b = &bad_firsts[_i];
    kscram *s = started(256, "user", "pencil", "abcdefgh");
    out.len = 0;
    ck_assert_int_eq(kscram_client_final(s, u8(b->msg), strlen(b->msg), &out, errstr, 256), b->err);
    ck_assert_str_eq(errstr, b->why);
    ck_assert_uint_eq(out.len, 0);
    kscram_free(s);
}
END_TEST

START_TEST(test_extensions_after_the_iterations_are_ignored)
{
    kscram *s = started(256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
    out.len = 0;
    const char *first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,x=later";
    ck_assert_int_eq(kscram_client_final(s, u8(first), strlen(first), &out, errstr, 256), 0);
    kscram_free(s);
}
END_TEST

START_TEST(test_user_names_are_escaped)
{
    kscram *s = started(256, "a,b=c", "p", "nonce");
    assert_out("n,,n=a=2Cb=3Dc,r=nonce");
    kscram_free(s);
}
END_TEST

/* KIP-48: a delegation token logs in with its id as the user, its HMAC in
 * base64 as the password, and "tokenauth=true" after the nonce, which
 * the proof and the server's signature cover (values from Python's
 * hashlib and hmac). */
START_TEST(test_tokenauth_extension_is_sent_and_signed)
{
    kscram *s = kscram_new(256, "8d7e4c4e-token", "c2VjcmV0LWhtYWM=");
    ck_assert_ptr_nonnull(s);
    kscram_set_nonce(s, "rOprNGfwEbeRWgbNEkqO");
    kscram_set_tokenauth(s);
    ck_assert_int_eq(kscram_client_first(s, &out), 0);
    assert_out("n,,n=8d7e4c4e-token,r=rOprNGfwEbeRWgbNEkqO,tokenauth=true");
    const char *first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    ck_assert_int_eq(kscram_client_final(s, u8(first), strlen(first), &out, errstr, 256), 0);
    assert_out("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
               "p=gJVbt3tU+yhXWDvsskioSBgFByRSG7YnmZjHu1yvySo=");
    /* The signature over the message without the extension is refused. */
    const char *unsigned_ext = "v=f12cBaKtBMMDIPMR8CxkG2KrF7+jIOZ1MogS81SJlF8=";
    ck_assert_int_eq(kscram_server_final(s, u8(unsigned_ext), strlen(unsigned_ext), errstr, 256),
                     KFK_ERR_AUTH);
    const char *final = "v=AGKjodI34qIJL+Mh1198fTbTQAlJiqNy20fpjSOp1ko=";
    ck_assert_int_eq(kscram_server_final(s, u8(final), strlen(final), errstr, 256), 0);
    kscram_free(s);
}
END_TEST

START_TEST(test_random_nonces_are_printable_and_differ)
{
    kscram *a = kscram_new(512, "u", "p"), *b = kscram_new(512, "u", "p");
    kbuf ob = {0};
    ck_assert_int_eq(kscram_client_first(a, &out), 0);
    ck_assert_int_eq(kscram_client_first(b, &ob), 0);
    ck_assert_uint_ge(out.len, strlen("n,,n=u,r=") + 24);
    ck_assert(out.len != ob.len || memcmp(out.data, ob.data, out.len) != 0);
    for (size_t i = 0; i < out.len; i++)
        ck_assert(out.data[i] > 0x20 && out.data[i] < 0x7f);
    kbuf_free(&ob);
    kscram_free(a);
    kscram_free(b);
}
END_TEST

START_TEST(test_messages_out_of_order_are_refused)
{
    kscram *s = kscram_new(256, "u", "p");
    const char *final = "v=abcd";
    ck_assert_int_eq(kscram_server_final(s, u8(final), strlen(final), errstr, 256), KFK_ERR_AUTH);
    ck_assert_int_eq(kscram_client_final(s, u8(final), strlen(final), &out, errstr, 256),
                     KFK_ERR_AUTH);
    ck_assert_ptr_null(kscram_new(384, "u", "p"));
    kscram_free(s);
}
END_TEST

static Suite *sasl_scram_suite(void)
{
    Suite *s = suite_create("sasl_scram");
    TCase *tc = tcase_create("client");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rfc7677_sha256_exchange);
    tcase_add_test(tc, test_sha512_exchange);
    tcase_add_test(tc, test_a_wrong_server_signature_fails);
    tcase_add_loop_test(tc, test_a_bad_server_first_message_is_refused, 0,
                        sizeof(bad_firsts) / sizeof(bad_firsts[0]));
    tcase_add_test(tc, test_extensions_after_the_iterations_are_ignored);
    tcase_add_test(tc, test_user_names_are_escaped);
    tcase_add_test(tc, test_tokenauth_extension_is_sent_and_signed);
    tcase_add_test(tc, test_random_nonces_are_printable_and_differ);
    tcase_add_test(tc, test_messages_out_of_order_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(sasl_scram_suite());
}
