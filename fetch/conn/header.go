package conn

import (
	"net/http"
	"net/textproto"
	"strings"
)

// A Field is one header line: a name and a value, as written.
type Field struct{ Name, Value string }

// Header is an ordered list of header fields that keeps each name's case as
// it was written or received, unlike http.Header. Lookups ignore case. The
// zero value is an empty header.
type Header struct{ fields []Field }

// NewHeader returns a header of the given name, value pairs, in order.
// A trailing name without a value is ignored.
func NewHeader(nameValues ...string) Header {
	var h Header
	for i := 0; i+1 < len(nameValues); i += 2 {
		h.Add(nameValues[i], nameValues[i+1])
	}
	return h
}

// Add appends a field.
func (h *Header) Add(name, value string) { h.fields = append(h.fields, Field{name, value}) }

// Set replaces every field named name with one, at the place of the first,
// or appends it.
func (h *Header) Set(name, value string) {
	for i, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			h.fields[i].Value = value
			h.del(name, i+1)
			return
		}
	}
	h.Add(name, value)
}

// Del removes every field named name.
func (h *Header) Del(name string) { h.del(name, 0) }

func (h *Header) del(name string, from int) {
	out := h.fields[:from]
	for _, f := range h.fields[from:] {
		if !strings.EqualFold(f.Name, name) {
			out = append(out, f)
		}
	}
	h.fields = out
}

// Get returns the value of the first field named name, or "".
func (h Header) Get(name string) string {
	for _, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field named name, in order.
func (h Header) Values(name string) []string {
	var vs []string
	for _, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// count returns how many fields are named name.
func (h Header) count(name string) int {
	n := 0
	for _, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			n++
		}
	}
	return n
}

// Has reports whether a field named name is present.
func (h Header) Has(name string) bool {
	for _, f := range h.fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// with returns a copy of h with a field added, leaving h's array alone.
func (h Header) with(name, value string) Header {
	fields := make([]Field, len(h.fields), len(h.fields)+1)
	copy(fields, h.fields)
	return Header{append(fields, Field{name, value})}
}

// Fields returns a copy of the fields in order.
func (h Header) Fields() []Field { return append([]Field(nil), h.fields...) }

// Len returns the number of fields.
func (h Header) Len() int { return len(h.fields) }

// Clone returns a copy of h.
func (h Header) Clone() Header { return Header{h.Fields()} }

// HTTP returns h as an http.Header (canonical names, order within a name
// kept).
func (h Header) HTTP() http.Header {
	m := make(http.Header, len(h.fields))
	// One array holds every name's first value, as http.Header.Clone
	// does; each slice is capped, so a second value of a name (rare)
	// gets an array of its own.
	vals := make([]string, len(h.fields))
	for i, f := range h.fields {
		k := textproto.CanonicalMIMEHeaderKey(f.Name)
		if vs, ok := m[k]; ok {
			m[k] = append(vs, f.Value)
			continue
		}
		vals[i] = f.Value
		m[k] = vals[i : i+1 : i+1]
	}
	return m
}

// String returns the fields as they go on the wire, each ending in CRLF.
func (h Header) String() string {
	var b strings.Builder
	for _, f := range h.fields {
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Value)
		b.WriteString("\r\n")
	}
	return b.String()
}
