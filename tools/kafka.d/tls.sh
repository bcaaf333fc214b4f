# tools/kafka.d/tls.sh: the TLS material of `tools/kafka start --sasl`, sourced by tools/kafka.
# Everything is made with the openssl CLI except the PKCS#12 truststore: OpenSSL 3.0 cannot mark
# a certificate as trusted the way Java's PKCS12 KeyStore requires (-jdktrust arrived in 3.2), so
# Java would load a CA-only PKCS#12 file from openssl as empty; keytool (from the JRE the broker
# needs anyway) writes the trustedCertEntry that both Java and OpenSSL read.

TLS_STORE_PASSWORD=store-secret   # client.p12 and truststore.p12
TLS_KEY_PASSWORD=key-secret       # client-encrypted.key

tls_sign() { # NAME SUBJECT EXTENSIONS -> NAME.key (PKCS#8), NAME.pem (cert signed by ca.pem)
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.tmp.key" -out "$1.csr" &&
    printf '%s\n' "$3" >"$1.ext" &&
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.pem" &&
    openssl pkcs8 -topk8 -nocrypt -in "$1.tmp.key" -out "$1.key" &&   # Java wants PKCS#8
    rm -f "$1.tmp.key" "$1.csr" "$1.ext"
}

# In $STATE/tls:
#   ca.pem ca.key                 the throwaway CA (CN=kfk-test-ca)
#   broker.pem broker.key         server cert, SAN DNS:localhost,IP:127.0.0.1 (hostname checks pass)
#   broker-keystore.pem           broker key + chain, the broker's PEM keystore
#   client.pem client.key         CN=kfk-client (principal User:CN=kfk-client on the MTLS listener)
#   client-encrypted.key          the same key, encrypted PKCS#8 (password key-secret)
#   client.p12                    PKCS#12 keystore: client key, cert and CA (password store-secret)
#   other.pem other.key           CN=kfk-other, a second identity for authorization tests
#   truststore.p12                PKCS#12 truststore holding the CA (password store-secret)
make_tls() {
  local d=$STATE/tls
  mkdir -p "$d"
  (cd "$d" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=kfk-test-ca \
      -keyout ca.key -out ca.pem &&
    tls_sign broker /CN=localhost $'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth' &&
    cat broker.key broker.pem ca.pem >broker-keystore.pem &&
    tls_sign client /CN=kfk-client extendedKeyUsage=clientAuth &&
    tls_sign other /CN=kfk-other extendedKeyUsage=clientAuth &&
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in client.key -passout "pass:$TLS_KEY_PASSWORD" \
      -out client-encrypted.key &&
    openssl pkcs12 -export -name kfk-client -inkey client.key -in client.pem -certfile ca.pem \
      -passout "pass:$TLS_STORE_PASSWORD" -out client.p12 &&
    keytool -importcert -noprompt -storetype PKCS12 -alias kfk-test-ca -file ca.pem \
      -keystore truststore.p12 -storepass "$TLS_STORE_PASSWORD" &&
    rm -f ca.srl) >"$d/make.log" 2>&1 || { cat "$d/make.log" >&2; die "making TLS material in $d failed"; }
}
