from pseudolog.entry import main

main()
