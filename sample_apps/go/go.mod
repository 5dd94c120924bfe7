module example.com/multistage/go-app

go 1.21
