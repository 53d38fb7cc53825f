package conn

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// spinner reads the first bytes of a response by polling the socket for
// a short while before the goroutine sleeps in the poller. On a server
// that answers within microseconds (loopback, a rack away) a sleeping
// thread's wake-up costs more than the wait, here two context switches
// and an inter-processor interrupt a response; polling keeps the thread
// running. Its state is the connection's, and the function given to the
// socket's RawConn is bound once, so a spin allocates nothing.
type spinner struct {
	rc    syscall.RawConn
	fn    func(uintptr) // s.poll, bound once
	wfn   func(uintptr) // s.writeFD, bound once (see write)
	p     []byte
	until time.Time
	n     int
	errno syscall.Errno
}

func newSpinner(nc net.Conn) *spinner {
	tc, ok := nc.(*net.TCPConn) // plain TCP only: TLS records need the whole conn
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	s := &spinner{rc: rc}
	s.fn, s.wfn = s.poll, s.writeFD
	return s
}

// read reads into p for at most d. done is false when nothing came (the
// caller then reads through the poller); otherwise n and err are what a
// read of the connection would have returned.
func (s *spinner) read(nc net.Conn, p []byte, d time.Duration) (n int, done bool, err error) {
	if len(p) == 0 {
		return 0, false, nil
	}
	s.p, s.until, s.n, s.errno = p, time.Now().Add(d), 0, syscall.EAGAIN
	cerr := s.rc.Control(s.fn)
	s.p = nil
	switch {
	case cerr != nil || s.errno == syscall.EAGAIN:
		return 0, false, nil
	case s.errno != 0:
		return 0, true, &net.OpError{Op: "read", Net: "tcp", Source: nc.LocalAddr(), Addr: nc.RemoteAddr(),
			Err: os.NewSyscallError("read", s.errno)}
	case s.n == 0:
		return 0, true, io.EOF
	}
	return s.n, true, nil
}

// poll, under the socket's RawConn.Control, reads until bytes, an end or
// an error come, or the time is up. The socket is non-blocking, so the
// raw system call cannot block (and, unlike syscall.Read, does not wake
// the runtime's monitor thread each time).
func (s *spinner) poll(fd uintptr) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.p[0])), uintptr(len(s.p)))
		if e == syscall.EINTR {
			continue
		}
		if e != syscall.EAGAIN {
			s.n, s.errno = int(r), e
			return
		}
		if time.Now().After(s.until) {
			return
		}
	}
}

// write writes what of p the socket takes at once by a raw system call,
// which (as in poll) spares the runtime's bookkeeping of a call that may
// block, and the monitor thread's taking the processor away meanwhile:
// a loopback write takes tens of microseconds in the kernel. It returns
// how much was written; the caller writes the rest, or all of p after an
// error, through the poller.
func (s *spinner) write(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	s.p, s.n, s.errno = p, 0, 0
	if s.rc.Control(s.wfn) != nil || s.errno != 0 {
		s.p = nil
		return 0
	}
	s.p = nil
	return s.n
}

func (s *spinner) writeFD(fd uintptr) {
	for {
		r, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&s.p[0])), uintptr(len(s.p)),
			syscall.MSG_NOSIGNAL, 0, 0) // a closed peer is EPIPE, without SIGPIPE
		if e == syscall.EINTR {
			continue
		}
		s.n, s.errno = int(r), e
		return
	}
}
