from bulk_o2c.cli import main

main()
