//go:build js && wasm

package client

import (
	"context"
	"encoding/json"
	"errors"
	"syscall/js"
)

// createCredential asks the browser to make a passkey: the options' JSON
// goes through PublicKeyCredential.parseCreationOptionsFromJSON (base64url
// to ArrayBuffers) and the credential comes back through its toJSON.
func createCredential(ctx context.Context, options json.RawMessage) (json.RawMessage, error) {
	return credentials(ctx, options, "create", "parseCreationOptionsFromJSON")
}

// getCredential asks the browser to prove a passkey, likewise.
func getCredential(ctx context.Context, options json.RawMessage) (json.RawMessage, error) {
	return credentials(ctx, options, "get", "parseRequestOptionsFromJSON")
}

func credentials(ctx context.Context, options json.RawMessage, call, parse string) (json.RawMessage, error) {
	pkc := js.Global().Get("PublicKeyCredential")
	if pkc.IsUndefined() || pkc.Get(parse).IsUndefined() {
		return nil, ErrNoPasskeys
	}
	var o struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	jsonObj := js.Global().Get("JSON")
	var pub js.Value
	if err := catch(func() { pub = pkc.Call(parse, jsonObj.Call("parse", string(o.PublicKey))) }); err != nil {
		return nil, err
	}
	arg := js.Global().Get("Object").New()
	arg.Set("publicKey", pub)
	// The callbacks release themselves: a promise that settles after ctx
	// ended must still find them.
	type result struct {
		cred json.RawMessage
		err  error
	}
	done := make(chan result, 1)
	var then, fail js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		then.Release()
		fail.Release()
		done <- result{cred: json.RawMessage(jsonObj.Call("stringify", args[0].Call("toJSON")).String())}
		return nil
	})
	fail = js.FuncOf(func(_ js.Value, args []js.Value) any {
		then.Release()
		fail.Release()
		done <- result{err: errors.New(args[0].Call("toString").String())}
		return nil
	})
	js.Global().Get("navigator").Get("credentials").Call(call, arg).Call("then", then, fail)
	select {
	case r := <-done:
		return r.cred, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// catch runs f and turns a JavaScript exception it throws into an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("the browser refused the passkey options")
		}
	}()
	f()
	return nil
}
