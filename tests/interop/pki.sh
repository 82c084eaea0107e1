# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Test certificates for the TLS interop tests, made at test time with the openssl CLI
# (no private key is ever committed); sourced after lib.sh, never run.
#
# kmr_make_pki <dir> writes into <dir> (all PEM unless named .der):
#   ca.crt, ca.key            "Kaminari Test CA" (ECDSA P-256), the CA that ca= trusts
#   leaf.crt, leaf.key        example.com, SAN DNS:example.com + IP:127.0.0.1, RSA 2048 (PKCS#8),
#                             signed by the test CA, valid now
#   leaf-chain.pem            leaf.crt then ca.crt (a server chain, leaf first)
#   expired.crt               the same name and key (leaf.key), signed by the test CA,
#                             valid only in January 2020
#   other-ca.crt, other-ca.key   an unrelated CA, "Unrelated Test CA" (ECDSA P-256)
#   other-leaf.crt, other-leaf.key   example.com + IP:127.0.0.1 signed by the unrelated CA
#   leaf.ocsp.der             a DER OCSP response "good" for leaf.crt, signed by the test
#                             CA (openssl ocsp with -index, no responder running)
#   ca/                       the openssl ca database (index.txt holds the leaf's entry)
# It also sets leaf_serial (the leaf's serial number in hex, as openssl prints it).
# The openssl output goes to $work/pki.log; a failure ends the script with `fail`.

kmr_pki_openssl() {
  local log=$1
  shift
  openssl "$@" >>"$log" 2>&1 || fail "openssl $1 failed while making the test certificates (see pki.log)"
}

kmr_make_pki() {
  local dir=$1 log
  log="${work:-$dir}/pki.log"  # printed with the other logs on failure
  need_tool openssl openssl
  mkdir -p "$dir/ca/newcerts"
  : >"$dir/ca/index.txt"
  echo 1000 >"$dir/ca/serial"
  cat >"$dir/ca/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $dir/ca/index.txt
new_certs_dir = $dir/ca/newcerts
serial = $dir/ca/serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any_name ]
commonName = supplied
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:example.com,IP:127.0.0.1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
EOF
  (
    cd "$dir" || exit 1
    # The two CAs.
    for ca in ca:"Kaminari Test CA" other-ca:"Unrelated Test CA"; do
      kmr_pki_openssl "$log" req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "${ca%%:*}.key" -out "${ca%%:*}.crt" -days 30 -subj "/CN=${ca#*:}" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    done
    # The leaf (RSA, so TLS 1.2 runs ECDHE-RSA) and its expired twin, both through
    # `openssl ca`, whose index.txt the OCSP responder reads.
    kmr_pki_openssl "$log" req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=example.com
    kmr_pki_openssl "$log" ca -batch -config ca/ca.cnf -cert ca.crt -keyfile ca.key -in leaf.csr \
      -out leaf.crt -days 2 -extensions leaf_ext -notext
    kmr_pki_openssl "$log" ca -batch -config ca/ca.cnf -cert ca.crt -keyfile ca.key -in leaf.csr \
      -out expired.crt -startdate 20200101000000Z -enddate 20200201000000Z -extensions leaf_ext -notext
    cat leaf.crt ca.crt >leaf-chain.pem
    # A leaf for the same names from the unrelated CA.
    kmr_pki_openssl "$log" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout other-leaf.key -out other-leaf.csr -subj /CN=example.com
    printf '%s\n' 'basicConstraints = critical,CA:FALSE' 'extendedKeyUsage = serverAuth' \
      'subjectAltName = DNS:example.com,IP:127.0.0.1' >other-leaf.ext
    kmr_pki_openssl "$log" x509 -req -in other-leaf.csr -CA other-ca.crt -CAkey other-ca.key \
      -CAcreateserial -out other-leaf.crt -days 2 -extfile other-leaf.ext
    # The OCSP response for the leaf, signed by the CA itself.
    kmr_pki_openssl "$log" ocsp -index ca/index.txt -rsigner ca.crt -rkey ca.key -CA ca.crt \
      -issuer ca.crt -cert leaf.crt -respout leaf.ocsp.der -ndays 1
  ) || fail "making the test certificates failed (see pki.log)"
  [[ -s $dir/leaf.ocsp.der ]] || fail "openssl ocsp wrote no response"
  # shellcheck disable=SC2034  # read by the test scripts
  leaf_serial=$(openssl x509 -in "$dir/leaf.crt" -noout -serial | sed 's/^serial=//')
  # The certificates are what the tests claim they are.
  openssl verify -CAfile "$dir/ca.crt" "$dir/leaf.crt" >>"$log" 2>&1 || fail "the test leaf does not verify"
  ! openssl verify -CAfile "$dir/ca.crt" "$dir/expired.crt" >>"$log" 2>&1 || fail "the expired leaf verifies"
  openssl verify -CAfile "$dir/other-ca.crt" "$dir/other-leaf.crt" >>"$log" 2>&1 ||
    fail "the unrelated leaf does not verify against its own CA"
  ! openssl verify -CAfile "$dir/ca.crt" "$dir/other-leaf.crt" >>"$log" 2>&1 ||
    fail "the unrelated leaf verifies against the test CA"
}
