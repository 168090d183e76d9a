package main

import (
	"io"
	"testing"
)

// The relay's config file (YAML or JSON) comes from its operator, but a typo must be an
// error, never a panic or a silently changed number: large integers are taken as written
// (1000000 was read as 1e+06 and refused), a duration as a string or a number of seconds
// (600 was refused for its missing unit), and any bytes either configure the flags or are
// refused.
func FuzzHardeningRelayConfig(f *testing.F) {
	for _, seed := range []string{
		`{"batch-messages": 1000000, "max-age": "10m", "attesters": ["http://a", "http://b"]}`,
		`{"batch-messages": 1e6}`,
		`{"no-such-setting": 1}`,
		`{"max-age": 600}`,
		`{"poll": {"nested": true}}`,
		`[]`, `null`, `{`, `{"outbox": "0x12"} {"inbox": "0x34"}`,
	} {
		f.Add([]byte(seed))
	}
	fs := newRelayCmd(io.Discard).Flags()
	if err := applyConfigData(fs, "relay.json", []byte(`{"batch-messages": 1000000, "attesters": ["http://a", "http://b"]}`)); err != nil {
		f.Fatal(err)
	}
	if got := fs.Lookup("batch-messages").Value.String(); got != "1000000" {
		f.Fatalf("batch-messages %s, want 1000000", got)
	}
	if got := fs.Lookup("attesters").Value.String(); got != "[http://a,http://b]" {
		f.Fatalf("attesters %s", got)
	}
	// YAML, as an operator writes it: the same flags, the same numbers.
	yfs := newRelayCmd(io.Discard).Flags()
	yamlConfig := "batch-messages: 1000000\nmax-age: 600\nattesters:\n  - http://a\n  - http://b\nby-receipt: true\n"
	if err := applyConfigData(yfs, "relay.yaml", []byte(yamlConfig)); err != nil {
		f.Fatal(err)
	}
	for name, want := range map[string]string{"batch-messages": "1000000", "max-age": "10m0s", "attesters": "[http://a,http://b]", "by-receipt": "true"} {
		if got := yfs.Lookup(name).Value.String(); got != want {
			f.Fatalf("YAML %s: %s, want %s", name, got, want)
		}
	}
	for _, bad := range []string{"no-such-setting: 1\n", "poll:\n  nested: true\n", "batch-messages: many\n", "- a\n- b\n"} {
		if err := applyConfigData(newRelayCmd(io.Discard).Flags(), "relay.yaml", []byte(bad)); err == nil {
			f.Fatalf("YAML %q: taken", bad)
		}
	}
	for in, want := range map[string]string{`{"max-age": 600}`: "10m0s", `{"max-age": "90s"}`: "1m30s", `{"max-age": 1.5}`: "1.5s"} {
		fs := newRelayCmd(io.Discard).Flags()
		if err := applyConfigData(fs, "relay.json", []byte(in)); err != nil {
			f.Fatalf("%s: %v", in, err)
		}
		if got := fs.Lookup("max-age").Value.String(); got != want {
			f.Fatalf("%s: max-age %s, want %s", in, got, want)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := newRelayCmd(io.Discard).Flags()
		_ = applyConfigData(fs, "relay.json", data)
	})
}
