module chanpeers

go 1.19
