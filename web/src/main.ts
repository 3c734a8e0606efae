// The playground page: one <qplay-playground> element.
import './ui/app';
