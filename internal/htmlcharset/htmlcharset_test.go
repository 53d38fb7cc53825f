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

// TestDetectXML: an XML declaration names the encoding when no <meta>
// does, and before a <meta> in XHTML.
func TestDetectXML(t *testing.T) {
	const decl = `<?xml version="1.0" encoding="ISO-8859-2"?>`
	tests := []struct{ head, ctype, want string }{
		{decl + `<html><p>x`, "application/xhtml+xml", "iso-8859-2"},
		{decl + `<html><meta charset="koi8-r">`, "application/xhtml+xml", "iso-8859-2"},
		{decl + `<html><meta charset="koi8-r">`, "text/html", "koi8-r"},
		{decl + `<html><p>x`, "text/html", "iso-8859-2"},
		{decl + `<html><p>x`, "", "iso-8859-2"},
		{decl, "application/xhtml+xml; charset=euc-kr", "euc-kr"},
		{decl, "text/plain", "utf-8"},
		{`<?xml version='1.0' encoding = 'Shift_JIS' ?>`, "application/xhtml+xml", "shift_jis"},
		{`<?xml encoding="utf-16"?>`, "application/xhtml+xml", "utf-8"},
		{`<?xml encoding="x-user-defined"?>`, "application/xhtml+xml", "windows-1252"},
		{` <?xml encoding="iso-8859-2"?>`, "application/xhtml+xml", "utf-8"},
		{`<?xml version="1.0"?><p encoding="iso-8859-2">`, "application/xhtml+xml", "utf-8"},
		{`<?xml encoding="iso 8859-2"?>`, "application/xhtml+xml", "utf-8"},
		{`<?xml encoding="nope"?>`, "application/xhtml+xml", "utf-8"},
		{`<?xml encoding="iso-8859-2`, "application/xhtml+xml", "utf-8"},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head), tt.ctype).Name; got != tt.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", tt.head, tt.ctype, got, tt.want)
		}
	}
}
