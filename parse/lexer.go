package parse

import (
	"bytes"
	"io"

	"golang.org/x/net/html"
)

// lexer splits a page into tokens exactly where golang.org/x/net/html's
// Tokenizer splits it: the same raw bytes for every token (text, start and
// end tags, comments, doctypes), the same raw-text elements (script with
// its escaped and double-escaped states, style, textarea, title, noscript,
// iframe, noembed, noframes, xmp, plaintext), the same recovery from
// broken markup and from an input that ends inside a token. FuzzLexer
// holds it to that against the tokenizer on arbitrary input, read whole
// and a byte at a time.
//
// It exists for speed. The tokenizer reads every byte through a method
// call and copies and lower-cases every attribute name into a map to drop
// repeated ones (x/net v0.62.0); that was two thirds of Images' time. The
// lexer finds a token's end with bytes.IndexByte where it can and leaves
// names and attributes alone: tagReader reads those of the few tags an
// extractor wants, and the tokenizer itself (tokenizeTag) the values that
// need its character-reference decoding. Self-closing start tags are
// reported as StartTagToken (the extractors treat the two alike).
//
// A token is held whole in the buffer, as the tokenizer holds it, so one
// of max bytes or more (Options.MaxTokenBytes) ends the work with
// tooLong. As in the tokenizer, the bytes it takes to see where a token
// ends count too: text needs the "<p" after it, a <style>'s text the
// "</style>" (whatever the input's chunks, for the lexer never looks past
// max bytes from a token's start).
type lexer struct {
	r      io.Reader
	buf    []byte
	n      int    // buf[:n] holds the bytes read
	start  int    // the current token is buf[start:end]
	end    int    // the current token is buf[start:end]
	base   int64  // the offset in the input of buf[0]
	max    int    // the longest token allowed; 0: no limit
	err    error  // the read error (io.EOF at the end), once seen
	done   bool   // ErrorToken returned: every later call returns it too
	raw    string // the raw-text element whose text comes next, lower-cased
	newRaw string // what raw becomes after the token scan decided on
	// tooLong reports a token of max bytes or more.
	tooLong bool
}

// lexerBuf is the lexer's first buffer size; it grows to hold a token.
const lexerBuf = 64 << 10

func newLexer(r io.Reader, max int) *lexer {
	return &lexer{r: r, buf: make([]byte, lexerBuf), max: max}
}

// rawBytes returns the current token's bytes, valid until the next call
// of next.
func (l *lexer) rawBytes() []byte { return l.buf[l.start:l.end] }

// offset returns the offset in the input of the current token.
func (l *lexer) offset() int64 { return l.base + int64(l.start) }

// next reads the next token, as the tokenizer's Next does.
func (l *lexer) next() html.TokenType {
	l.start = l.end
	if l.done {
		return html.ErrorToken
	}
	for {
		// The scan sees at most max bytes, however the input came in.
		b, cut := l.buf[l.start:l.n], false
		if l.max > 0 && len(b) > l.max {
			b, cut = b[:l.max], true
		}
		l.newRaw = l.raw
		tt, size := l.scan(b, l.err != nil && !cut)
		if size < 0 {
			if cut {
				l.tooLong = true
				return l.stop()
			}
			l.fill()
			continue
		}
		if tt == html.ErrorToken {
			return l.stop()
		}
		if l.max > 0 && size >= l.max {
			l.tooLong = true
			return l.stop()
		}
		l.end = l.start + size
		l.raw = l.newRaw
		return tt
	}
}

func (l *lexer) stop() html.TokenType {
	l.done, l.end = true, l.start
	return html.ErrorToken
}

// readErr is the error that ended the input: nil at its end.
func (l *lexer) readErr() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}

// fill reads more input after the current token's start, moving the
// token to the front of the buffer, or growing the buffer when the token
// fills it (up to max), until the buffer is full or the input ends or
// fails (l.err).
func (l *lexer) fill() {
	if l.start > 0 {
		copy(l.buf, l.buf[l.start:l.n])
		l.n -= l.start
		l.end -= l.start
		l.base += int64(l.start)
		l.start = 0
	}
	if l.n == len(l.buf) {
		size := 2 * len(l.buf)
		if l.max > 0 && size > l.max+1 {
			size = l.max + 1 // a byte past max tells a cut token from the end
		}
		buf := make([]byte, size)
		copy(buf, l.buf[:l.n])
		l.buf = buf
	}
	// The buffer is filled, not just fed, so that a token arriving a few
	// bytes a read is not scanned again for each read.
	for empty := 0; l.n < len(l.buf); {
		n, err := l.r.Read(l.buf[l.n:])
		l.n += n
		if err != nil {
			l.err = err
			return
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty == 100 {
			l.err = io.ErrNoProgress
			return
		}
	}
}

// text returns the text of the current raw-text token as the tokenizer's
// Text returns that of <style> or <script> text: CR LF and CR turned into
// LF, NUL into U+FFFD, no character references decoded.
func (l *lexer) text() []byte {
	s := l.rawBytes()
	if bytes.IndexByte(s, '\r') < 0 && bytes.IndexByte(s, 0) < 0 {
		return s
	}
	s = bytes.ReplaceAll(s, []byte("\r\n"), []byte("\n"))
	s = bytes.ReplaceAll(s, []byte("\r"), []byte("\n"))
	return bytes.ReplaceAll(s, []byte{0}, []byte("\ufffd"))
}

// scan decides the token at the start of b: its type and length, or
// length -1 when b ends before the token does and more input may come
// (eof false). At eof it always decides. It sets l.newRaw when the token
// changes the raw-text state.
func (l *lexer) scan(b []byte, eof bool) (html.TokenType, int) {
	if l.raw != "" {
		var e int
		if l.raw == "plaintext" {
			if !eof {
				return 0, -1
			}
			e = len(b)
		} else {
			if l.raw == "script" {
				e = scriptEnd(b)
			} else {
				e = rawEnd(b, l.raw)
			}
			if e < 0 {
				if !eof {
					return 0, -1
				}
				e = len(b)
			}
			l.newRaw = ""
		}
		if e > 0 {
			return html.TextToken, e
		}
	}
	return l.scanData(b, eof)
}

// scanData decides the token at the start of b in the data state.
func (l *lexer) scanData(b []byte, eof bool) (html.TokenType, int) {
	i := 0
	for {
		k := bytes.IndexByte(b[i:], '<')
		if k < 0 || i+k+1 >= len(b) {
			// The text may go on past b, or a tag start there.
			if !eof {
				return 0, -1
			}
			if len(b) == 0 {
				return html.ErrorToken, 0
			}
			return html.TextToken, len(b)
		}
		p := i + k
		c := b[p+1]
		if !isLetter(c) && c != '/' && c != '!' && c != '?' {
			i = p + 1
			continue
		}
		if p > 0 {
			return html.TextToken, p
		}
		break
	}
	switch c := b[1]; {
	case isLetter(c):
		end, nameEnd := tagEnd(b, 2)
		if end < 0 {
			return l.incomplete(eof, html.ErrorToken, 0)
		}
		if raw := rawElement(b[1:nameEnd]); raw != "" {
			l.newRaw = raw
		}
		return html.StartTagToken, end
	case c == '/':
		if len(b) < 3 {
			return l.incomplete(eof, html.TextToken, len(b))
		}
		switch c := b[2]; {
		case c == '>':
			return html.CommentToken, 3 // "</>"
		case isLetter(c):
			end, _ := tagEnd(b, 3)
			if end < 0 {
				return l.incomplete(eof, html.ErrorToken, 0)
			}
			return html.EndTagToken, end
		}
		return l.untilCloseAngle(b, 2, eof, html.CommentToken)
	case c == '?':
		return l.untilCloseAngle(b, 2, eof, html.CommentToken)
	}
	// "<!": a comment, a doctype or a bogus comment.
	if len(b) < 4 {
		return l.incomplete(eof, html.CommentToken, len(b))
	}
	if b[2] == '-' && b[3] == '-' {
		if e := commentEnd(b, 4); e >= 0 {
			return html.CommentToken, e
		}
		return l.incomplete(eof, html.CommentToken, len(b))
	}
	tt := html.CommentToken
	if len(b) >= 9 && equalFoldASCII(b[2:9], "doctype") {
		tt = html.DoctypeToken
	}
	return l.untilCloseAngle(b, 2, eof, tt)
}

// incomplete is the decision on a token that b ends inside: wait for more
// input, or at eof take tt of length size, as the tokenizer does when its
// input ends there.
func (l *lexer) incomplete(eof bool, tt html.TokenType, size int) (html.TokenType, int) {
	if !eof {
		return 0, -1
	}
	return tt, size
}

// untilCloseAngle decides a token of type tt that ends at the first ">"
// from b[i] on, or at the end of the input.
func (l *lexer) untilCloseAngle(b []byte, i int, eof bool, tt html.TokenType) (html.TokenType, int) {
	if k := bytes.IndexByte(b[i:], '>'); k >= 0 {
		return tt, i + k + 1
	}
	return l.incomplete(eof, tt, len(b))
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// tagEnd returns the length of the start or end tag at the start of b,
// whose first i bytes ("<a" or "</a") have been read, and the end of its
// name; -1 when b ends inside it. It reads the tag as WHATWG's tag states
// and the tokenizer do: a ">" ends it except inside a quoted value, and a
// quote opens a value only right after "=" and any spaces.
func tagEnd(b []byte, i int) (end, name int) {
	for {
		if i >= len(b) {
			return -1, 0
		}
		if c := b[i]; nameEnd[c] {
			name = i
			if isSpace(c) {
				i++
			}
			break
		}
		i++
	}
	for {
		if i = skipSpace(b, i); i >= len(b) {
			return -1, 0
		}
		switch b[i] {
		case '>':
			return i + 1, name
		case '/':
			i++ // an empty name: the "/" is read as the value's
			continue
		}
		// The name: its first byte is part of it even if it is "=".
		i++
		for i < len(b) && !keyEnd[b[i]] {
			i++
		}
		if i = skipSpace(b, i); i >= len(b) {
			return -1, 0
		}
		switch b[i] {
		case '/':
			i++
			continue
		case '=':
		default:
			continue // no value; b[i] starts the next name or ends the tag
		}
		i++
		if i = skipSpace(b, i); i >= len(b) {
			return -1, 0
		}
		switch q := b[i]; q {
		case '>':
			// An empty value; the ">" ends the tag.
		case '"', '\'':
			k := bytes.IndexByte(b[i+1:], q)
			if k < 0 {
				return -1, 0
			}
			i += k + 2
		default:
			for i++; i < len(b); i++ {
				if c := b[i]; isSpace(c) {
					i++
					break
				} else if c == '>' {
					break
				}
			}
			if i >= len(b) {
				return -1, 0
			}
		}
	}
}

// skipSpace returns the index of the first byte from b[i] on that is not
// a space (len(b) when there is none).
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// rawElement returns the lower-cased name of the element whose start tag
// named name makes the tokenizer read what follows as raw text (or RCDATA:
// the lexer tells them apart only in text), or "".
func rawElement(name []byte) string {
	if len(name) < 3 || len(name) > 9 {
		return ""
	}
	for _, e := range rawElements {
		if len(e) == len(name) && equalFoldASCII(name, e) {
			return e
		}
	}
	return ""
}

var rawElements = [...]string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"}

// equalFoldASCII reports whether b is s (lower-case letters) in any case.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(s) {
		if b[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}

// endTagAt reports whether b[j:] goes on as the end tag of the raw-text
// element tag after its "</": the name in any case, then a space, "/" or
// ">". It returns 1 if so, 0 if not, and -1 when b ends first.
func endTagAt(b []byte, j int, tag string) int {
	n := min(len(tag), len(b)-j)
	if !equalFoldASCII(b[j:j+n], tag[:n]) {
		return 0
	}
	if j+len(tag) >= len(b) { // also when b ended inside the name
		return -1
	}
	if nameEnd[b[j+len(tag)]] {
		return 1
	}
	return 0
}

// rawEnd returns the length of the raw text at the start of b inside
// element tag (not script): up to its end tag; -1 when b ends first.
func rawEnd(b []byte, tag string) int {
	i := 0
	for {
		k := bytes.IndexByte(b[i:], '<')
		if k < 0 {
			return -1
		}
		p := i + k
		if p+1 >= len(b) {
			return -1
		}
		if b[p+1] != '/' {
			i = p + 1
			continue
		}
		switch endTagAt(b, p+2, tag) {
		case 1:
			return p
		case -1:
			return -1
		}
		i = p + 2 // the letters matched hold no "<"
	}
}

// The states of scriptEnd, WHATWG's script data states as the tokenizer
// implements them (dashStep relies on the order of the escaped ones).
const (
	scriptData = iota
	scriptLT
	scriptEscapeStart
	scriptEscapeStartDash
	scriptEscaped
	scriptEscapedDash
	scriptEscapedDashDash
	scriptEscapedLT
	scriptDoubleEscaped
	scriptDoubleEscapedDash
	scriptDoubleEscapedDashDash
	scriptDoubleEscapedLT
)

// scriptEnd returns the length of the script text at the start of b, up
// to the "</script" that ends it (not one inside "<!--<script>" ...), or
// -1 when b ends first. Where the tokenizer departs from WHATWG (a "<"
// then neither "/" nor a letter in the escaped state returns to the data
// state) it follows the tokenizer.
func scriptEnd(b []byte) int {
	state := scriptData
	i := 0
	for {
		if state == scriptData {
			k := bytes.IndexByte(b[i:], '<')
			if k < 0 {
				return -1
			}
			i += k + 1
			state = scriptLT
		}
		if i >= len(b) {
			return -1
		}
		c := b[i]
		i++
		if c == '/' && (state == scriptLT || state == scriptEscapedLT) {
			switch endTagAt(b, i, "script") {
			case 1:
				return i - 2
			case -1:
				return -1
			}
			if state == scriptLT {
				state = scriptData
			} else {
				state = scriptEscaped
			}
			continue
		}
		switch state {
		case scriptLT:
			switch c {
			case '!':
				state = scriptEscapeStart
			default:
				i--
				state = scriptData
			}
		case scriptEscapeStart, scriptEscapeStartDash:
			switch {
			case c != '-':
				i--
				state = scriptData
			case state == scriptEscapeStart:
				state = scriptEscapeStartDash
			default:
				state = scriptEscapedDashDash
			}
		case scriptEscaped, scriptEscapedDash, scriptEscapedDashDash:
			state = dashStep(state, scriptEscaped, c)
		case scriptEscapedLT:
			switch {
			case isLetter(c):
				// A "<script" opens the double-escaped state; other
				// letters are read again in the escaped state, where
				// they change nothing.
				i--
				switch endTagAt(b, i, "script") {
				case 1:
					i += len("script") + 1
					state = scriptDoubleEscaped
				case -1:
					return -1
				default:
					state = scriptEscaped
				}
			default:
				i--
				state = scriptData
			}
		case scriptDoubleEscaped, scriptDoubleEscapedDash, scriptDoubleEscapedDashDash:
			state = dashStep(state, scriptDoubleEscaped, c)
		case scriptDoubleEscapedLT:
			if c != '/' {
				i--
				state = scriptDoubleEscaped
				break
			}
			switch endTagAt(b, i, "script") {
			case 1:
				i += len("script") + 1
				state = scriptEscaped
			case -1:
				return -1
			default:
				state = scriptDoubleEscaped
			}
		}
	}
}

// dashStep is a step of scriptEnd in the escaped or the double-escaped
// states (base, then its Dash, DashDash and LT states, in that order):
// dashes count up to two, "<" may open a tag, and "-->" returns to the
// script data state.
func dashStep(state, base int, c byte) int {
	switch c {
	case '-':
		return min(state+1, base+2)
	case '<':
		return base + 3
	case '>':
		if state == base+2 {
			return scriptData
		}
	}
	return base
}

// commentEnd returns the length of the comment at the start of b, whose
// content starts at b[i] (after "<!--"), or -1 when b ends first. As the
// tokenizer reads it, a ">" ends it when the content so far is only
// dashes ("<!-->", "<!--->") or ends in "--" or "--!".
func commentEnd(b []byte, i int) int {
	content := i
	for i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '>' {
		return i + 1
	}
	for {
		k := bytes.IndexByte(b[i:], '>')
		if k < 0 {
			return -1
		}
		j := i + k
		if c := b[content:j]; bytes.HasSuffix(c, []byte("--")) || bytes.HasSuffix(c, []byte("--!")) {
			return j + 1
		}
		i = j + 1
	}
}
