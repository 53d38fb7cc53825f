//go:build unix

package fetch_test

import "syscall"

func mkfifo(name string) error { return syscall.Mkfifo(name, 0o600) }
