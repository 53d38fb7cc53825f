package urlx

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultMaxFields is how many fields [ParseQSL] and [ParseQS] read from one
// query before they fail with [ErrTooManyFields]: the limit net/url applies
// (CVE-2025-61726). CPython has none unless asked (max_num_fields).
const DefaultMaxFields = 10000

// ErrTooManyFields is matched (with [errors.Is]) by the error for a query
// with more fields than the limit.
var ErrTooManyFields = errors.New("too many fields")

// Pair is one name and value of a query, in the order they stood.
type Pair struct{ Key, Value string }

// QueryOptions carries parse_qsl's optional arguments. The zero value gives
// CPython's defaults, except that at most [DefaultMaxFields] fields are read.
type QueryOptions struct {
	// KeepBlank keeps fields with an empty value, and a name without "=" as
	// a field with an empty value (keep_blank_values=True).
	KeepBlank bool
	// Strict makes an empty field or a field without "=" an error
	// (strict_parsing=True).
	Strict bool
	// Separator separates fields; "" means "&". As in CPython since
	// CVE-2021-23336, ";" is not a separator unless chosen here.
	Separator string
	// MaxFields is the most fields a query may have; 0 means
	// [DefaultMaxFields] and a negative value means no limit. The count is
	// CPython's: one more than the number of separators.
	MaxFields int
}

// ParseQSL is CPython's parse_qsl(qs, keep_blank_values=keepBlank): the
// fields of a query in order, split on "&" only, each name and value with
// "+" read as a space and then [Unquote]d. Fields without a value are
// dropped unless keepBlank is true. A query of more than [DefaultMaxFields]
// fields is an error.
func ParseQSL(qs string, keepBlank bool) ([]Pair, error) {
	return QueryOptions{KeepBlank: keepBlank}.ParseQSL(qs)
}

// ParseQS is CPython's parse_qs: the fields of [ParseQSL] as a map from name
// to its values in order.
func ParseQS(qs string, keepBlank bool) (map[string][]string, error) {
	return QueryOptions{KeepBlank: keepBlank}.ParseQS(qs)
}

// ParseQSL is [ParseQSL] with the options o.
func (o QueryOptions) ParseQSL(qs string) ([]Pair, error) {
	sep := o.Separator
	if sep == "" {
		sep = "&"
	}
	if qs == "" {
		return nil, nil
	}
	max := o.MaxFields
	if max == 0 {
		max = DefaultMaxFields
	}
	if n := strings.Count(qs, sep) + 1; max > 0 && n > max {
		return nil, &Error{"parse query", qs, fmt.Errorf("query of %d fields has %w: the limit is %d", n, ErrTooManyFields, max)}
	}
	var pairs []Pair
	for field := range strings.SplitSeq(qs, sep) {
		if field == "" && !o.Strict {
			continue
		}
		name, value, ok := strings.Cut(field, "=")
		if !ok {
			if o.Strict {
				return nil, &Error{"parse query", qs, fmt.Errorf("bad query field %q: no '='", field)}
			}
			if !o.KeepBlank {
				continue
			}
		}
		if value != "" || o.KeepBlank {
			pairs = append(pairs, Pair{UnquotePlus(name), UnquotePlus(value)})
		}
	}
	return pairs, nil
}

// ParseQS is [ParseQS] with the options o.
func (o QueryOptions) ParseQS(qs string) (map[string][]string, error) {
	pairs, err := o.ParseQSL(qs)
	if err != nil {
		return nil, err
	}
	m := make(map[string][]string, len(pairs))
	for _, p := range pairs {
		m[p.Key] = append(m[p.Key], p.Value)
	}
	return m, nil
}

// Encode is CPython's urlencode(pairs): each key and value [QuotePlus]d with
// no extra safe characters, joined as key=value by "&", in the order given.
// A key with several values is given as several pairs, which is what
// urlencode(..., doseq=True) makes of a list value.
func Encode(pairs []Pair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(quote(p.Key, plusNone))
		b.WriteByte('=')
		b.WriteString(quote(p.Value, plusNone))
	}
	return b.String()
}
