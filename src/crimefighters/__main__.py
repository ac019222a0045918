from crimefighters.cli import main

raise SystemExit(main())
