package protocol

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// docPath is the project's description of the contract, from this
// package's directory (where go test runs, natively and under Node).
const docPath = "../../docs/PROTOCOL.md"

// TestDocumentCoversContract: every event type (Type…) and every error code
// (Code…) that this package declares appears in docs/PROTOCOL.md, in
// backticks. The constants are read from the package's source, so one added
// later is checked without anyone touching this test.
func TestDocumentCoversContract(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading the protocol document: %v", err)
	}
	consts := stringConsts(t)
	for _, prefix := range []string{"Type", "Code"} {
		var names []string
		for name := range consts {
			if strings.HasPrefix(name, prefix) {
				names = append(names, name)
			}
		}
		// A parse that found nothing would make this test pass vacuously.
		if len(names) < 5 {
			t.Fatalf("found only %d %s constants in the source (%v): is the parse wrong?", len(names), prefix, names)
		}
		sort.Strings(names)
		for _, name := range names {
			if want := "`" + consts[name] + "`"; !strings.Contains(string(doc), want) {
				t.Errorf("%s (%s) is not described in docs/PROTOCOL.md: %s appears nowhere in it", name, strconv.Quote(consts[name]), want)
			}
		}
	}
}

// stringConsts returns the package-level constants of this package's
// non-test source whose names start with Type or Code, with their string
// values. A Type or Code constant that is not a plain string literal fails
// the test rather than going unchecked.
func stringConsts(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	consts := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Type") && !strings.HasPrefix(id.Name, "Code") {
						continue
					}
					var lit *ast.BasicLit
					if i < len(vs.Values) {
						lit, _ = vs.Values[i].(*ast.BasicLit)
					}
					if lit == nil || lit.Kind != token.STRING {
						t.Fatalf("%s: %s is not a string literal; teach this test to read it", fset.Position(id.Pos()), id.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatalf("%s: %s: %v", fset.Position(lit.Pos()), id.Name, err)
					}
					consts[id.Name] = v
				}
			}
		}
	}
	return consts
}
