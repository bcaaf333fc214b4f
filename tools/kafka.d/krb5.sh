# tools/kafka.d/krb5.sh: the MIT KDC of `tools/kafka start --kerberos`, sourced by tools/kafka.
# One realm, KFK.TEST, served by krb5kdc on a loopback port; everything lives in $STATE/krb5:
#   krb5.conf       for clients and the broker JVM (java.security.krb5.conf)
#   kdc.conf        the KDC's profile; principal* (database), stash, kdc.log
#   kafka.keytab    kafka/localhost@KFK.TEST, the broker's service key
#   client.keytab   kfk-client@KFK.TEST
#   client.ccache   the credential cache krb5.conf names, so tests never touch the user's own
#   krb5kdc.pid

KRB5_REALM=KFK.TEST
KRB5_SERVICE_PRINCIPAL=kafka/localhost@$KRB5_REALM
KRB5_CLIENT_PRINCIPAL=kfk-client@$KRB5_REALM

write_krb5_conf() { # KDC_PORT -> STATE/krb5/krb5.conf and kdc.conf
  local d=$STATE/krb5
  # A client that connects to 127.0.0.1 asks for the service kafka@127.0.0.1; rdns turns that
  # into kafka/localhost through the reverse lookup (/etc/hosts), the broker's principal.
  cat >"$d/krb5.conf" <<EOF
[libdefaults]
  default_realm = $KRB5_REALM
  dns_lookup_kdc = false
  dns_lookup_realm = false
  dns_canonicalize_hostname = true
  rdns = true
  udp_preference_limit = 1
  default_ccache_name = FILE:$d/client.ccache
  ticket_lifetime = 24h
  renew_lifetime = 7d
  forwardable = true

[realms]
  $KRB5_REALM = {
    kdc = 127.0.0.1:$1
  }

[domain_realm]
  localhost = $KRB5_REALM
  127.0.0.1 = $KRB5_REALM
EOF
  cat >"$d/kdc.conf" <<EOF
[kdcdefaults]
  kdc_ports = $1
  kdc_tcp_ports = $1

[realms]
  $KRB5_REALM = {
    database_name = $d/principal
    key_stash_file = $d/stash
    acl_file = $d/kadm5.acl
    kdc_ports = $1
    kdc_tcp_ports = $1
    max_life = 24h
    max_renewable_life = 7d
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }

[logging]
  kdc = FILE:$d/kdc.log
EOF
  : >"$d/kadm5.acl"
}

krb5_env() { # run a Kerberos admin command with the realm's own config
  KRB5_CONFIG=$STATE/krb5/krb5.conf KRB5_KDC_PROFILE=$STATE/krb5/kdc.conf "$@"
}

make_kdc() { # KDC_PORT -> a fresh realm database with the broker's and the client's keytab
  local d=$STATE/krb5
  mkdir -p "$d"
  write_krb5_conf "$1"
  { krb5_env kdb5_util create -s -r "$KRB5_REALM" -P "kfk-master-$RANDOM$RANDOM" &&
    krb5_env kadmin.local -r "$KRB5_REALM" -q "addprinc -randkey $KRB5_SERVICE_PRINCIPAL" &&
    krb5_env kadmin.local -r "$KRB5_REALM" -q "addprinc -randkey $KRB5_CLIENT_PRINCIPAL" &&
    krb5_env kadmin.local -r "$KRB5_REALM" -q "ktadd -k $d/kafka.keytab $KRB5_SERVICE_PRINCIPAL" &&
    krb5_env kadmin.local -r "$KRB5_REALM" -q "ktadd -k $d/client.keytab $KRB5_CLIENT_PRINCIPAL"
  } >"$d/setup.log" 2>&1 || { cat "$d/setup.log" >&2; die "setting up the KDC in $d failed"; }
}

kdc_pid() { # print the pid of our krb5kdc if it runs
  launched_pid "$STATE/krb5/krb5kdc.pid" krb5kdc
}

start_kdc() { # KDC_PORT -> krb5kdc in the foreground of its own session, wait until it listens;
  # 75 when it exited at once (as when its port, UDP or TCP, was taken meanwhile: the caller
  # tries again with new ports), 1 when it never listened
  local d=$STATE/krb5
  make_kdc "$1"
  # shellcheck disable=SC2016  # $$ is the inner bash, which writes its pid and execs krb5kdc
  KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' \
    launch "$d/krb5kdc.pid" krb5kdc -n -r "$KRB5_REALM" </dev/null >>"$d/kdc.out" 2>&1 8>&- 9>&- &
  local rc=1
  for _ in {1..300}; do   # up to 30 s on a busy machine
    port_open "$1" && return 0
    [[ -s $d/krb5kdc.pid ]] && ! kdc_pid >/dev/null && { rc=75; break; }
    sleep 0.1
  done
  cat "$d/kdc.out" "$d/kdc.log" >&2 2>/dev/null || true
  log "krb5kdc did not come up on 127.0.0.1:$1$( ((rc == 75)) && echo ": it exited")"
  return "$rc"
}

stop_kdc() {
  local pid
  pid=$(kdc_pid) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in {1..50}; do kdc_pid >/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
