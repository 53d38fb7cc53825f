package htmlcharset

import "testing"

// TestDetectMeta: the <meta> prescan takes the first label that names an
// encoding; one that names none is skipped (WHATWG: "failure", go on).
func TestDetectMeta(t *testing.T) {
	tests := []struct{ head, want string }{
		{`<meta charset="koi8-r">`, "koi8-r"},
		{`<meta charset="no-such-label"><meta charset="koi8-r">`, "koi8-r"},
		{`<meta http-equiv="Content-Type" content="text/html; charset=bogus"><meta charset="iso-8859-2">`, "iso-8859-2"},
		{`<meta charset="no-such-label">`, "utf-8"},
		{`<meta charset="" http-equiv="Content-Type" content="text/html; charset=koi8-r"><meta charset="iso-8859-2">`, "iso-8859-2"},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head), "text/html").Name; got != tt.want {
			t.Errorf("Detect(%q) = %q, want %q", tt.head, got, tt.want)
		}
	}
}
