// Package tlsfail tells the TLS failures another attempt would meet again,
// for the retry decisions of fetch and download.
package tlsfail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// Permanent reports whether err is a TLS failure that repeating the
// connection cannot cure: a certificate that does not verify (unknown
// authority, wrong name, expired...), a server that does not speak TLS (a
// malformed record), or an alert the server sent. crypto/tls's alert type
// is unexported (tls.AlertError is QUIC's), so an alert is recognised by
// the "remote error" net.OpError crypto/tls wraps it in, and net/http's
// plain-HTTP answer to a handshake by its text (errors.New, not wrapped).
func Permanent(err error) bool {
	if err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return true
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var opErr *net.OpError
	return errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) ||
		errors.As(err, &recordErr) || errors.As(err, &opErr) && opErr.Op == "remote error"
}
