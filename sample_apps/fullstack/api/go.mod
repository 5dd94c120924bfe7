module example.com/multistage/fullstack-api

go 1.21
