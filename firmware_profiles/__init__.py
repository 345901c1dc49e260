"""Device profiles (YAML data). A package only so that an installed node ships them too."""
