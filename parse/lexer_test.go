package parse

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/net/html"

	"github.com/grabhq/grab/testserver"
)

// lexerSeeds are markup the lexer must split as the tokenizer does: each
// construct of its states, and inputs that end inside each.
var lexerSeeds = []string{
	`<!DOCTYPE html><html><head><title>a <b> c</title></head><body><img src="a.png" alt='x>y'></body></html>`,
	`text <p>more</p> < a <3 <> <=x <<img src=x>`,
	`<img src=a>b<img/src=b><img src= "c d" alt =e/><p a=/><a "b"=">" c='>'>`,
	`<a =">"><a b=c"d>e"><a b='c><a b=>`,
	`<!-- a --><!--><!---><!----><!-- b --!><!-- c -!><!--!><!---!><!-- d --!-- e -->`,
	`<!-- --!x --><!----!-->x<!---->`,
	`<!><!x><!-x><!doctype html><!DOCTYPE><![CDATA[<img src=x>]]><?xml a="1"?>`,
	`</><//><</a><a></a ><a/></a b=">">`,
	`<script>var a = "<img src=x>";</script><script>a</Script >b</script/>`,
	`<script><!--</script>--></script><script><!--<script></script>--></script>x</script>`,
	`<script><!--<script>a<!-- b --></script>-->c</script>d</script><script><!-- -<a></script>`,
	`<script><!--<SCRIPT/>x</script></script><script><!--<scriptx></script>`,
	`<style>p { background: url(a.png) }</style ><STYLE>a</style x="</style>">`,
	`<textarea><img src=a></textarea><title>&amp;<b></title ><noscript><img src=n></noscript>`,
	`<iframe><a></iframe><xmp><a></xmp><noembed><a></noembed><noframes><a></noframes>`,
	"<style>\r\na\x00b\rc</style>",
	`<plaintext><a href=x></plaintext><img src=y>`,
	`<img src="unterminated`, `<img src=x`, `<img `, `<img`, `<`, `</`, `</a`, `<!`, `<!-`, `<!--`, `<!-- a -`, `<!-- a --`, `<!-- a --!`,
	`<!DOC`, `<!DOCTYPE`, `<!DOCTYPE html`, `<?`, `<?x`, `</1`, `a<`, `a</`,
	`<script>`, `<script><`, `<script></`, `<script></scr`, `<script></script`, `<script><!`, `<script><!-`, `<script><!--`, `<script><!--<`, `<script><!--<s`, `<script><!--<script`, `<script><!--<script>`, `<script><!--<script></`, `<script><!--<script></script`,
	`<style><`, `<style></`, `<style></st`, `<style></style`,
	"<img\tsrc\n=\fa.png\r><a\x00b c\x00=d>",
}

// lexed is a token as the lexer and the tokenizer report it.
type lexed struct {
	tt   html.TokenType
	raw  string
	text string // a raw-text token's text (script, style and the like)
}

func tokenizerTokens(t *testing.T, doc string) []lexed {
	z := html.NewTokenizer(strings.NewReader(doc))
	var out []lexed
	raw := ""
	for range 100000 {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			return out
		}
		if tt == html.SelfClosingTagToken {
			tt = html.StartTagToken
		}
		tok := lexed{tt: tt, raw: string(z.Raw())}
		if tt == html.TextToken && raw != "" && raw != "textarea" && raw != "title" {
			tok.text = string(z.Text())
		}
		raw = ""
		if tt == html.StartTagToken {
			name, _ := z.TagName()
			raw = rawElement(name)
		}
		out = append(out, tok)
	}
	t.Fatal("too many tokens")
	return nil
}

// lexerTokens runs the lexer on r with a first buffer of size bytes.
func lexerTokens(t *testing.T, r io.Reader, size int) []lexed {
	l := newLexer(r, 0)
	l.buf = make([]byte, size)
	var out []lexed
	for range 100000 {
		raw := l.raw
		tt := l.next()
		if tt == html.ErrorToken {
			if err := l.readErr(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		tok := lexed{tt: tt, raw: string(l.rawBytes())}
		if tt == html.TextToken && raw != "" && raw != "textarea" && raw != "title" {
			tok.text = string(l.text())
		}
		out = append(out, tok)
	}
	t.Fatal("too many tokens")
	return nil
}

// FuzzLexer checks that the lexer splits any input into the tokenizer's
// tokens, with a buffer that holds it whole and with buffers so small
// that every token is cut and read again.
func FuzzLexer(f *testing.F) {
	for _, s := range lexerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		want := tokenizerTokens(t, doc)
		for _, size := range []int{lexerBuf, 1, 7} {
			got := lexerTokens(t, iotest.OneByteReader(strings.NewReader(doc)), size)
			for i := range max(len(got), len(want)) {
				if i >= len(got) || i >= len(want) || got[i] != want[i] {
					t.Fatalf("%q: token %d: lexer %v, tokenizer %v", doc, i, at(got, i), at(want, i))
				}
			}
		}
	})
}

func at(toks []lexed, i int) any {
	if i < len(toks) {
		return toks[i]
	}
	return "nothing"
}

// TestLexerLimit checks that a token of max bytes or more ends the work,
// however the input is read, and that a shorter one does not.
func TestLexerLimit(t *testing.T) {
	doc := `<p>` + strings.Repeat("x", 100) + `</p><img src=a>`
	for _, tc := range []struct {
		doc     string
		max     int
		tokens  int
		tooLong bool
	}{
		{doc, 0, 4, false}, {doc, 102, 4, false}, {doc, 101, 1, true}, {doc, 3, 0, true},
		// The input ends inside a tag at max bytes: the end, not a cut.
		{"<a", 2, 0, false}, {"<ab", 2, 0, true},
	} {
		for _, size := range []int{lexerBuf, 1} {
			l := newLexer(iotest.OneByteReader(strings.NewReader(tc.doc)), tc.max)
			l.buf = make([]byte, size)
			n := 0
			for l.next() != html.ErrorToken {
				n++
			}
			if n != tc.tokens || l.tooLong != tc.tooLong || l.readErr() != nil {
				t.Errorf("%.10q, max %d, buffer %d: %d tokens, tooLong %v, %v; want %d, %v", tc.doc, tc.max, size, n, l.tooLong, l.readErr(), tc.tokens, tc.tooLong)
			}
		}
	}
}

// BenchmarkLexer is the lexer alone on the big page (compare
// BenchmarkTokenizerNext).
func BenchmarkLexer(b *testing.B) {
	page := testserver.BigPage("http://127.0.0.1:8080", 20000, 5000000)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		l := newLexer(bytes.NewReader(page), 0)
		for l.next() != html.ErrorToken {
		}
	}
}
