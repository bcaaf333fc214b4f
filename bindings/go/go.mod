module github.com/kfk-project/kfk/bindings/go

go 1.22
