module github.com/hotline10000/hotline

go 1.26
