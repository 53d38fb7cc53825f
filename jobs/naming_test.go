package jobs

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFileName(t *testing.T) {
	tests := []struct{ naming, url, want string }{
		{"path", "http://h/img/a.png", "h/img/a.png"},
		{"path", "http://h:8080/img/a.png", "h_8080/img/a.png"},
		{"path", "http://h/", "h/index"},
		{"path", "http://h/dir/", "h/dir/index"},
		{"path", "http://h/a/../../../etc/passwd", "h/a/etc/passwd"},
		{"path", "http://h/%2e%2e/x", "h/x"},
		{"path", "http://h/.hidden", "h/_hidden"},
		{"path", "http://h/file/-rf%0a.png", "h/file/_rf_.png"}, // HOSTILE.md L3
		{"path", "http://h/-d/a-b.png", "h/_d/a-b.png"},
		{"basename", "http://h/x/--help", "_-help"},
		{"path", "http://h/a%2Fb.png", "h/a_b.png"},
		{"path", "http://h/i.png?w=1", "h/i_" + shortHash("w=1", 8) + ".png"},
		{"basename", "http://h/x/y/z.jpg", "z.jpg"},
		{"basename", "http://h/x/", "index"},
		{"hash", "http://h/x/y/z.jpg", shortHash("http://h/x/y/z.jpg", 32) + ".jpg"},
	}
	for _, tt := range tests {
		if got := fileName(tt.naming, tt.url); filepath.ToSlash(got) != tt.want {
			t.Errorf("fileName(%q, %q) = %q, want %q", tt.naming, tt.url, got, tt.want)
		}
	}
}

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"http://h/a.png", "http://h/../../x", "http://h/%00/%2e%2e/", "http://h/" + strings.Repeat("a", 300), "http://[::1]:80/a b", "http://h/\u202e.png"} {
		f.Add("path", s)
		f.Add("basename", s)
		f.Add("hash", s)
	}
	f.Fuzz(func(t *testing.T, naming, u string) {
		name := fileName(naming, u)
		if !filepath.IsLocal(name) {
			t.Fatalf("fileName(%q, %q) = %q: not local", naming, u, name)
		}
		for _, seg := range strings.Split(filepath.ToSlash(name), "/") {
			if seg == "" || strings.HasPrefix(seg, ".") || len(seg) > maxSegment+20 {
				t.Fatalf("fileName(%q, %q) = %q: bad segment %q", naming, u, name, seg)
			}
			for _, r := range seg {
				if r < ' ' || r == 0x7f || r > 0x7e {
					t.Fatalf("fileName(%q, %q) = %q: unsafe character %q", naming, u, name, r)
				}
			}
		}
	})
}
