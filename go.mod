module github.com/hotline10000/hotline

go 1.26.0

require (
	github.com/expr-lang/expr v1.17.8
	github.com/sony/gobreaker/v2 v2.4.0
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/crypto v0.58.0
)

require go.uber.org/goleak v1.3.0 // indirect
