from pseudolog.cli import main

main()
