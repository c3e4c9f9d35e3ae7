"""Game providers: the casino's seamless wallet (/casino/*, seed 003) and the demo provider."""
