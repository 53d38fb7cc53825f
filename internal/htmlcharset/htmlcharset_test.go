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

// TestDetectHeader: the Content-Type's charset is read as a browser reads
// it, from values mime.ParseMediaType refuses whole.
func TestDetectHeader(t *testing.T) {
	const meta = `<meta charset="koi8-r">`
	tests := []struct{ ctype, want string }{
		{"text/html; charset=shift_jis", "shift_jis"},
		{"text/html; charset=shift_jis; x", "shift_jis"},
		{"text/html; x; charset=shift_jis", "shift_jis"},
		{"text/html; charset=shift_jis; charset=euc-kr", "shift_jis"},
		{"text/html; charset=shift_jis; charset=euc-kr; a=b; a=c", "shift_jis"},
		{`text/html; charset="shift_jis`, "shift_jis"},
		{`text/html; charset="shift\_jis"; q`, "shift_jis"},
		{"TEXT/HTML ;CHARSET=EUC-KR  ", "euc-kr"},
		{"text/html; (x)=1; charset=euc-kr", "euc-kr"},
		{"text/html; charset=; charset=euc-kr", "euc-kr"},
		{"text/html; charset=\x7f; charset=euc-kr", "euc-kr"},
		{"text/plain; charset=euc-kr", "euc-kr"},
		{"text/plain", "utf-8"},
		{"text /html; charset=euc-kr", "koi8-r"},
		{"text; charset=euc-kr", "koi8-r"},
		{"", "koi8-r"},
	}
	for _, tt := range tests {
		if got := Detect([]byte(meta), tt.ctype).Name; got != tt.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", meta, tt.ctype, got, tt.want)
		}
	}
}
