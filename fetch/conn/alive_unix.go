//go:build unix

package conn

import (
	"crypto/tls"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerClosed reports whether the idle connection nc has been closed by its
// peer, or holds bytes nobody asked for (an idle connection has nothing to
// read): a peek at its socket that does not wait. A connection whose socket
// cannot be reached counts as open.
func peerClosed(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var b [1]byte
	err = rc.Control(func(fd uintptr) {
		n, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch {
		case err == unix.EAGAIN || err == unix.EWOULDBLOCK || err == unix.EINTR:
		case err != nil, n >= 0:
			closed = true // an error, an end (0) or unasked bytes
		}
	})
	return closed || err != nil
}
