package httpsyntax

import "testing"

func TestQuoted(t *testing.T) {
	tests := []struct {
		in   string
		want string
		next int
	}{
		{`"abc" rest`, "abc", 5},
		{`"a\"b"`, `a"b`, 6},
		{`"a\\b"x`, `a\b`, 6},
		{`"open`, "open", 5},
		{`"trail\`, `trail\`, 7},
		{`""`, "", 2},
		{`"`, "", 1},
	}
	for _, tt := range tests {
		got, next := Quoted(tt.in, 0)
		if got != tt.want || next != tt.next {
			t.Errorf("Quoted(%q) = %q, %d; want %q, %d", tt.in, got, next, tt.want, tt.next)
		}
	}
}
