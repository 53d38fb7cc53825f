//go:build !linux

package download

import "os"

// setOrigin records which URL a file is elsewhere than Linux: nothing
// here, so files are told apart by name only.
func setOrigin(f *os.File, rawURL string) {}

// recordedURL: nothing is recorded (see setOrigin).
func recordedURL(root *os.Root, name string) (string, bool) { return "", false }
