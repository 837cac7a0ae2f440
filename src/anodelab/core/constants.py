"""Physical constants every layer uses (CODATA 2018; exact in the 2019 SI)."""

#: Faraday constant, C/mol (1.602176634e-19 C x 6.02214076e23 /mol)
FARADAY_C_MOL = 96485.33212
#: molar gas constant, J/(mol K)
GAS_CONSTANT_J_MOL_K = 8.314462618
#: 0 degC in K
ZERO_CELSIUS_K = 273.15
