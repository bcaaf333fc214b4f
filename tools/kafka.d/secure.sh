# tools/kafka.d/secure.sh: the secured listeners of `tools/kafka start --sasl` (and --kerberos,
# --oidc), the OIDC token endpoint's process, and STATE/client.env. Sourced by tools/kafka, which
# sets NODES, STATE, the port arrays and the SASL, KRB, OIDC flags before calling these.

SASL_USERS=(alice:alice-secret admin:admin-secret)    # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
SUPER_USERS='User:admin;User:ANONYMOUS'   # ANONYMOUS: the PLAINTEXT CONTROLLER and inter-broker
                                          # listeners, and PLAINTEXT clients of today's suite
# KIP-368: SASL_PLAINTEXT sessions last this long, so clients re-authenticate while tested
REAUTH_MS=5000
# delegation tokens (KIP-48) need this key, which signs each token's HMAC
DELEGATION_TOKEN_SECRET=kfk-test-delegation-token-secret
OIDC_CLIENT_ID=kfk-client
OIDC_CLIENT_SECRET=kfk-client-secret
OIDC_AUDIENCE=kafka

secure_listeners() { # I (0-based node index) -> the secured part of node I+1's listeners=
  local l="SASL_PLAINTEXT://127.0.0.1:${SASLP[$1]},SASL_SSL://127.0.0.1:${SASLS[$1]}"
  l+=",SSL://127.0.0.1:${SSLP[$1]},MTLS://127.0.0.1:${MTLSP[$1]}"
  ((OIDC)) && l+=",SASL_OIDC://127.0.0.1:${OIDCP[$1]}"
  echo "$l"
}

secure_props() { # the server.properties lines of the secured listeners
  local k mechs=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER u plain=""
  ((KRB)) && mechs+=,GSSAPI
  for u in "${SASL_USERS[@]}"; do plain+=" user_${u%%:*}=\"${u#*:}\""; done
  cat <<EOF
sasl.enabled.mechanisms=$mechs
ssl.keystore.type=PEM
ssl.keystore.location=$STATE/tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$STATE/tls/ca.pem
ssl.client.auth=none
# MTLS: TLS with a client certificate; the principal is its subject, e.g. User:CN=kfk-client
listener.name.mtls.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
# no ACL on a resource: everyone may use it, so tests that create no ACLs behave as without
# an authorizer; one ACL on a topic and only what it allows is allowed there
allow.everyone.if.no.acl.found=true
super.users=$SUPER_USERS
listener.name.sasl_plaintext.connections.max.reauth.ms=$REAUTH_MS
delegation.token.secret.key=$DELEGATION_TOKEN_SECRET
EOF
  for k in sasl_ssl sasl_plaintext; do
    echo "listener.name.$k.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$plain;"
    echo "listener.name.$k.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
    echo "listener.name.$k.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
    # no server callback handler: Kafka's unsecured validator (alg none JWTs, principal = sub)
    echo "listener.name.$k.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
    ((KRB)) && echo "listener.name.$k.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"$STATE/krb5/kafka.keytab\" principal=\"$KRB5_SERVICE_PRINCIPAL\";"
  done
  ((KRB)) && echo "sasl.kerberos.service.name=kafka"
  if ((OIDC)); then
    cat <<EOF
# SASL_OIDC: OAUTHBEARER only, RS256 JWTs checked against the token endpoint's JWKS
listener.name.sasl_oidc.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.sasl_oidc.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_oidc.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
sasl.oauthbearer.jwks.endpoint.url=$(oidc_url)/jwks
sasl.oauthbearer.expected.issuer=$(oidc_url)
sasl.oauthbearer.expected.audience=$OIDC_AUDIENCE
EOF
  fi
}

secure_protocol_map() { # the secured entries of listener.security.protocol.map
  echo "SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL$( ((OIDC)) && echo ,SASL_OIDC:SASL_SSL)"
}

secure_scram_args() { # StorageTool format arguments that create the SCRAM users
  local u m
  for u in "${SASL_USERS[@]}"; do
    for m in SCRAM-SHA-256 SCRAM-SHA-512; do echo "-S"; echo "$m=[name=${u%%:*},password=${u#*:}]"; done
  done
}

secure_jvm_opts() { # extra broker JVM flags, one a line
  ((KRB)) && echo "-Djava.security.krb5.conf=$STATE/krb5/krb5.conf"
  if ((OIDC)); then   # Kafka 4 fetches no OAuth URL that is not listed here
    echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$(oidc_url)/jwks,$(oidc_url)/token"
    echo "-Djavax.net.ssl.trustStore=$STATE/tls/truststore.p12"   # the JWKS fetch trusts our CA
    echo "-Djavax.net.ssl.trustStorePassword=$TLS_STORE_PASSWORD"
    echo "-Djavax.net.ssl.trustStoreType=PKCS12"
  fi
  true
}

# ---------------------------------------------------------------- OIDC token endpoint
oidc_url() { echo "https://127.0.0.1:$TOKEN_PORT"; }

oidc_pid() {
  launched_pid "$STATE/oidc.pid" oidc-server.py
}

start_oidc() { # run tools/kafka.d/oidc-server.py on TOKEN_PORT, wait until it accepts
  local t=$STATE/tls
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$t/jwt-signing.key" 2>/dev/null ||
    die "openssl genpkey failed"
  # shellcheck disable=SC2016  # $$ is the inner bash, which writes its pid and execs python3
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launch "$STATE/oidc.pid" \
    python3 "$CONF_DIR/oidc-server.py" --port "$TOKEN_PORT" --cert "$t/broker.pem" --key "$t/broker.key" \
    --signing-key "$t/jwt-signing.key" --client-id "$OIDC_CLIENT_ID" \
    --client-secret "$OIDC_CLIENT_SECRET" --lifetime "$OIDC_LIFETIME" \
    </dev/null >>"$STATE/oidc.log" 2>&1 8>&- 9>&- &
  for _ in {1..600}; do   # python3 and openssl start slowly on a busy machine: up to 60 s
    port_open "$TOKEN_PORT" && return 0
    [[ -s $STATE/oidc.pid ]] && ! oidc_pid >/dev/null && break
    sleep 0.1
  done
  cat "$STATE/oidc.log" >&2 || true
  die "the OIDC token endpoint did not come up on 127.0.0.1:$TOKEN_PORT"
}

stop_oidc() {
  local pid
  pid=$(oidc_pid) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in {1..50}; do oidc_pid >/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- client.env
env_line() { # KEY VALUE -> KEY=VALUE, VALUE in single quotes if the shell would split it
  if [[ $2 =~ ^[][A-Za-z0-9_./:,@=+%-]*$ ]]; then printf '%s=%s\n' "$1" "$2"
  elif [[ $2 != *\'* ]]; then printf "%s='%s'\n" "$1" "$2"
  else die "client.env: $1 has a quote in its value"; fi
}

write_client_env() { # STATE/client.env: what a client's security tests need, as KEY=VALUE
  local t=$STATE/tls k=$STATE/krb5
  {
    echo "# written by tools/kafka start; see tools/kafka help for each variable"
    env_line KFK_TEST_PLAINTEXT "$(join_ports "${PLAIN[@]}")"
    env_line KFK_TEST_SASL_PLAINTEXT "$(join_ports "${SASLP[@]}")"
    env_line KFK_TEST_SASL_PLAINTEXT_REAUTH_MS "$REAUTH_MS"
    env_line KFK_TEST_SASL_SSL "$(join_ports "${SASLS[@]}")"
    env_line KFK_TEST_SSL "$(join_ports "${SSLP[@]}")"
    env_line KFK_TEST_MTLS "$(join_ports "${MTLSP[@]}")"
    env_line KFK_TEST_TLS_DIR "$t"
    env_line KFK_TEST_CA "$t/ca.pem"
    env_line KFK_TEST_CLIENT_CERT "$t/client.pem"
    env_line KFK_TEST_CLIENT_KEY "$t/client.key"
    env_line KFK_TEST_CLIENT_KEY_ENCRYPTED "$t/client-encrypted.key"
    env_line KFK_TEST_CLIENT_KEY_PASSWORD "$TLS_KEY_PASSWORD"
    env_line KFK_TEST_CLIENT_PRINCIPAL "User:CN=kfk-client"
    env_line KFK_TEST_OTHER_CERT "$t/other.pem"
    env_line KFK_TEST_OTHER_KEY "$t/other.key"
    env_line KFK_TEST_OTHER_PRINCIPAL "User:CN=kfk-other"
    env_line KFK_TEST_KEYSTORE "$t/client.p12"
    env_line KFK_TEST_KEYSTORE_PASSWORD "$TLS_STORE_PASSWORD"
    env_line KFK_TEST_TRUSTSTORE "$t/truststore.p12"
    env_line KFK_TEST_TRUSTSTORE_PASSWORD "$TLS_STORE_PASSWORD"
    env_line KFK_TEST_SASL_MECHANISMS "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER$( ((KRB)) && echo ,GSSAPI)"
    env_line KFK_TEST_SASL_USER "${SASL_USERS[0]%%:*}"
    env_line KFK_TEST_SASL_PASSWORD "${SASL_USERS[0]#*:}"
    env_line KFK_TEST_SASL_ADMIN_USER "${SASL_USERS[1]%%:*}"
    env_line KFK_TEST_SASL_ADMIN_PASSWORD "${SASL_USERS[1]#*:}"
    env_line KFK_TEST_SUPER_USERS "$SUPER_USERS"
    if ((KRB)); then
      env_line KRB5_CONFIG "$k/krb5.conf"
      env_line KFK_TEST_KRB5_REALM "$KRB5_REALM"
      env_line KFK_TEST_KRB5_KDC "127.0.0.1:$KDC_PORT"
      env_line KFK_TEST_KRB5_SERVICE_NAME kafka
      env_line KFK_TEST_KRB5_SERVICE_PRINCIPAL "$KRB5_SERVICE_PRINCIPAL"
      env_line KFK_TEST_KRB5_CLIENT_PRINCIPAL "$KRB5_CLIENT_PRINCIPAL"
      env_line KFK_TEST_KRB5_CLIENT_KEYTAB "$k/client.keytab"
      env_line KFK_TEST_KRB5_CCACHE "$k/client.ccache"
    fi
    if ((OIDC)); then
      env_line KFK_TEST_SASL_OIDC "$(join_ports "${OIDCP[@]}")"
      env_line KFK_TEST_OIDC_TOKEN_URL "$(oidc_url)/token"
      env_line KFK_TEST_OIDC_JWKS_URL "$(oidc_url)/jwks"
      env_line KFK_TEST_OIDC_CLIENT_ID "$OIDC_CLIENT_ID"
      env_line KFK_TEST_OIDC_CLIENT_SECRET "$OIDC_CLIENT_SECRET"
      env_line KFK_TEST_OIDC_AUDIENCE "$OIDC_AUDIENCE"
      env_line KFK_TEST_OIDC_TOKEN_LIFETIME_S "$OIDC_LIFETIME"
    fi
  } >"$STATE/client.env"
}
